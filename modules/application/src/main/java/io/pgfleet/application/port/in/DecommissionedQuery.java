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
}
