package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;

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
}
