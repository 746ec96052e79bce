package io.pgfleet.domain.collector;

import java.time.Instant;
import java.util.Objects;

/**
 * What retention leaves of a decommissioned collector once it has purged its history (its
 * versions, effective document, apply status and samples): the id, kept so that it is never bound
 * again, and when each happened.
 *
 * @param collectorId      the id
 * @param decommissionedAt when the collector was decommissioned
 * @param purgedAt         when retention purged its history
 */
public record CollectorTombstone(CollectorId collectorId, Instant decommissionedAt, Instant purgedAt) {

    /** Requires every part. */
    public CollectorTombstone {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(decommissionedAt, "decommissionedAt");
        Objects.requireNonNull(purgedAt, "purgedAt");
    }
}
