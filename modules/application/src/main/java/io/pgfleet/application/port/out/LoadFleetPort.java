package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.Sample;

import java.time.Instant;
import java.util.List;

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
