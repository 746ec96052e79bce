package io.pgfleet.application.service;

import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.application.port.out.SaveCollectorPort;

import java.time.Clock;
import java.util.Objects;

/**
 * Assembles the use cases from the outgoing ports; used by the composition root only.
 */
public final class ApplicationServices {

    private final PublishConfigUseCase publishConfig;
    private final GetConfigQuery getConfig;
    private final ProvisionCollectorUseCase provisionCollector;

    /**
     * The outgoing ports the use cases need.
     *
     * @param loadCollector  reading collectors
     * @param saveCollector  storing new collectors
     * @param loadRevision   reading configuration revisions
     * @param appendRevision appending revisions race-free
     */
    public record Ports(LoadCollectorPort loadCollector, SaveCollectorPort saveCollector,
                        LoadConfigRevisionPort loadRevision, AppendConfigRevisionPort appendRevision) {
        /** Requires every port. */
        public Ports {
            Objects.requireNonNull(loadCollector, "loadCollector");
            Objects.requireNonNull(saveCollector, "saveCollector");
            Objects.requireNonNull(loadRevision, "loadRevision");
            Objects.requireNonNull(appendRevision, "appendRevision");
        }
    }

    /**
     * Wires the services.
     *
     * @param ports the outgoing ports
     * @param clock the time source for created-at stamps
     */
    public ApplicationServices(Ports ports, Clock clock) {
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(clock, "clock");
        this.publishConfig = new PublishConfigService(ports.appendRevision(), clock);
        this.getConfig = new GetConfigService(ports.loadCollector(), ports.loadRevision());
        this.provisionCollector = new ProvisionCollectorService(ports.loadCollector(), ports.saveCollector(), clock);
    }

    /**
     * Publishing configurations.
     *
     * @return the use case
     */
    public PublishConfigUseCase publishConfig() {
        return publishConfig;
    }

    /**
     * Reading configurations.
     *
     * @return the query
     */
    public GetConfigQuery getConfig() {
        return getConfig;
    }

    /**
     * Pre-provisioning collectors.
     *
     * @return the use case
     */
    public ProvisionCollectorUseCase provisionCollector() {
        return provisionCollector;
    }
}
