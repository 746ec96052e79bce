package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.Sample;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Reads the fleet view and stored samples.
 */
public interface LoadFleetPort {

    /**
     * Every collector with versions and last report.
     *
     * @return by collector id
     */
    List<FleetMember> loadFleet();

    /**
     * One collector as {@link #loadFleet} shows it, without reading the rest of the fleet.
     *
     * @param collectorId the collector
     * @return it, or empty when unknown or decommissioned
     */
    Optional<FleetMember> loadMember(CollectorId collectorId);

    /**
     * Samples of one collector, oldest first.
     *
     * @param collectorId the collector
     * @param name        one metric, empty for all
     * @param since       measured at or after
     * @param limit       at most
     * @return the samples
     */
    List<Sample> loadSamples(CollectorId collectorId, String name, Instant since, int limit);
}
