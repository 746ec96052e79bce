package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuditTrailQuery;
import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.in.ValidateConfigQuery;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LoadAuditTrailPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigHistoryPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.application.port.out.SaveCollectorPort;

import java.time.Clock;
import java.util.Objects;

/**
 * Assembles the use cases from the outgoing ports; used by the composition root only.
 */
public final class ApplicationServices {

    /**
     * The outgoing ports the use cases need.
     *
     * @param loadCollector  reading collectors
     * @param saveCollector  storing new collectors
     * @param loadRevision   reading configuration revisions
     * @param appendRevision appending revisions race-free
     * @param loadHistory    reading history pages
     * @param loadAudit      reading the audit trail
     * @param parser         reading TOML syntax
     */
    public record Ports(LoadCollectorPort loadCollector, SaveCollectorPort saveCollector,
                        LoadConfigRevisionPort loadRevision, AppendConfigRevisionPort appendRevision,
                        LoadConfigHistoryPort loadHistory, LoadAuditTrailPort loadAudit,
                        ParseConfigDocumentPort parser) {
        /** Requires every port. */
        public Ports {
            Objects.requireNonNull(loadCollector, "loadCollector");
            Objects.requireNonNull(saveCollector, "saveCollector");
            Objects.requireNonNull(loadRevision, "loadRevision");
            Objects.requireNonNull(appendRevision, "appendRevision");
            Objects.requireNonNull(loadHistory, "loadHistory");
            Objects.requireNonNull(loadAudit, "loadAudit");
            Objects.requireNonNull(parser, "parser");
        }
    }

    private final PublishConfigUseCase publishConfig;
    private final GetConfigQuery getConfig;
    private final ProvisionCollectorUseCase provisionCollector;
    private final RollbackConfigUseCase rollbackConfig;
    private final ValidateConfigQuery validateConfig;
    private final ConfigHistoryQuery configHistory;
    private final AuditTrailQuery auditTrail;

    /**
     * Wires the services.
     *
     * @param ports the outgoing ports
     * @param clock the time source for created-at stamps
     */
    public ApplicationServices(Ports ports, Clock clock) {
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(clock, "clock");
        DocumentValidator validator = new DocumentValidator(ports.parser());
        this.publishConfig = new PublishConfigService(ports.appendRevision(), validator, clock);
        this.getConfig = new GetConfigService(ports.loadCollector(), ports.loadRevision());
        this.provisionCollector = new ProvisionCollectorService(ports.loadCollector(), ports.saveCollector(), clock);
        this.rollbackConfig = new RollbackConfigService(ports.loadCollector(), ports.loadRevision(),
                ports.appendRevision(), validator, clock);
        this.validateConfig = new ValidateConfigService(validator);
        this.configHistory = new ConfigHistoryService(ports.loadCollector(), ports.loadHistory());
        this.auditTrail = new AuditTrailService(ports.loadAudit());
    }

    /** @return publishing configurations */
    public PublishConfigUseCase publishConfig() {
        return publishConfig;
    }

    /** @return reading configurations */
    public GetConfigQuery getConfig() {
        return getConfig;
    }

    /** @return pre-provisioning collectors */
    public ProvisionCollectorUseCase provisionCollector() {
        return provisionCollector;
    }

    /** @return rolling back to an earlier version */
    public RollbackConfigUseCase rollbackConfig() {
        return rollbackConfig;
    }

    /** @return dry-run validation */
    public ValidateConfigQuery validateConfig() {
        return validateConfig;
    }

    /** @return reading history */
    public ConfigHistoryQuery configHistory() {
        return configHistory;
    }

    /** @return reading the audit trail */
    public AuditTrailQuery auditTrail() {
        return auditTrail;
    }
}
