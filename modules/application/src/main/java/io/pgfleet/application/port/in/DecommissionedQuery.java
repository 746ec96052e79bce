package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether an id is a decommissioned collector's, for a driving adapter that refuses a request on
 * its own (a body it cannot read, a parameter out of range) before any use case has run: a route
 * about a live collector answers a decommissioned id's "gone for good" before it judges what the
 * request carries, so that nobody fixes a request that can never succeed. The use cases tell a
 * decommissioned id apart themselves in their results; this is for the refusals made before them,
 * and is asked on that path only.
 */
public interface DecommissionedQuery {

    /**
     * When a collector was decommissioned.
     *
     * @param collectorId the id
     * @return when, or empty when no collector ever had the id or its collector is not decommissioned
     */
    Optional<Instant> decommissionedAt(CollectorId collectorId);

    /**
     * A decommissioned collector whose history retention has purged, for the routes that read that
     * history (its versions, diffs, samples): they answer that it is gone, and since when, instead of
     * an empty history that reads as if the collector never had one.
     *
     * @param collectorId the id
     * @return its tombstone, or empty when the collector is unknown, live, or decommissioned with its history kept
     */
    Optional<io.pgfleet.domain.collector.CollectorTombstone> purged(CollectorId collectorId);
}
