package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Optional;

/**
 * Reads a collector.
 */
public interface LoadCollectorPort {

    /**
     * The collector with this id.
     *
     * @param collectorId the id
     * @return the collector, or empty when unknown
     */
    Optional<Collector> loadCollector(CollectorId collectorId);

    /**
     * When a collector was decommissioned: its id stays taken for good, and the routes about it
     * say so instead of "unknown".
     *
     * @param collectorId the id
     * @return when, or empty when the collector is unknown or not decommissioned
     */
    Optional<Instant> loadDecommissionedAt(CollectorId collectorId);

    /**
     * A decommissioned collector whose history retention has purged.
     *
     * @param collectorId the id
     * @return its tombstone, or empty when the collector is unknown, live, or decommissioned with its history kept
     */
    Optional<io.pgfleet.domain.collector.CollectorTombstone> loadTombstone(CollectorId collectorId);
}
