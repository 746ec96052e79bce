package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ProvisionCollectorCommand;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase.ProvisionResult;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.SaveCollectorPort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.Collector;

import java.time.Clock;

final class ProvisionCollectorService implements ProvisionCollectorUseCase {

    private final LoadCollectorPort load;
    private final SaveCollectorPort save;
    private final Clock clock;

    ProvisionCollectorService(LoadCollectorPort load, SaveCollectorPort save, Clock clock) {
        this.load = load;
        this.save = save;
        this.clock = clock;
    }

    @Override
    public ProvisionResult provision(ProvisionCollectorCommand command) {
        Collector collector = new Collector(command.collectorId(), Collector.checkNewText("name", command.name()),
                Collector.checkNewText("hostname", command.hostname()), Collector.checkNewLabels(command.labels()),
                clock.instant(), false);
        AuditEntry audit = new AuditEntry(collector.createdAt(), command.actor(), AuditAction.COLLECTOR_CREATED,
                new AuditSubject.OfCollector(collector.id()), 0, "provisioned as '" + collector.name() + "'");
        if (save.saveNewCollector(collector, audit)) {
            return new ProvisionResult.Provisioned(collector);
        }
        // A decommissioned collector's row keeps its id taken; say so rather than "it exists".
        java.util.Optional<java.time.Instant> decommissioned = load.loadDecommissionedAt(command.collectorId());
        if (decommissioned.isPresent()) {
            return new ProvisionResult.Decommissioned(command.collectorId(), decommissioned.get());
        }
        return new ProvisionResult.AlreadyExists(load.loadCollector(command.collectorId())
                .orElseThrow(() -> new IllegalStateException("collector " + command.collectorId() + " vanished")));
    }
}
