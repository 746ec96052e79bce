package io.pgfleet.application.service;

import io.pgfleet.application.port.in.DecommissionedQuery;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether an id is a decommissioned collector's, for a driving adapter's own refusals made before
 * any use case ran. The per-collector use cases tell a decommissioned id from an unknown one
 * themselves, in their results and on their refusal paths only (publishing, rolling back, revoking,
 * changing labels, decommissioning, explaining), so that a use case built by any means answers
 * alike; this is not a wrapper around them.
 */
final class DecommissionedIds implements DecommissionedQuery {

    private final LoadCollectorPort collectors;

    DecommissionedIds(LoadCollectorPort collectors) {
        this.collectors = Objects.requireNonNull(collectors, "collectors");
    }

    @Override
    public Optional<Instant> decommissionedAt(CollectorId collectorId) {
        return collectors.loadDecommissionedAt(collectorId);
    }

    @Override
    public Optional<io.pgfleet.domain.collector.CollectorTombstone> purged(CollectorId collectorId) {
        return collectors.loadTombstone(collectorId);
    }
}
