package io.pgfleet.application.service;

import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.PublishResult;

import java.time.Instant;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Appends through a plain revision store ({@link OwnLayerAppender#of}), which holds no layers and
 * decommissions nothing: no effective tag to match, no decommissioned collector to tell apart.
 *
 * @param port the store
 */
record PlainOwnAppender(AppendConfigRevisionPort port) implements OwnLayerAppender {

    @Override
    public PublishResult append(CollectorId id,
                                BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                                Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode) {
        return port.append(id, own -> decision.apply(own, Optional.empty()), audit);
    }

    @Override
    public Optional<Instant> decommissionedAt(CollectorId collectorId) {
        return Optional.empty();
    }
}
