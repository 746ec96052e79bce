package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.FleetCounts;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.Sample;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Seeing the fleet and its samples.
 */
public interface FleetQuery {

    /** The largest page of samples. */
    int MAX_SAMPLES = 10_000;

    /**
     * Every collector with its latest and applied versions.
     *
     * @return the fleet, by collector id
     */
    List<FleetMember> fleet();

    /**
     * How many collectors are in each state, counted by the store without reading every collector
     * (what monitoring scrapes).
     *
     * @return the counts, with the meaning of {@link FleetCounts#of} over {@link #fleet()}
     */
    FleetCounts counts();

    /**
     * Stored samples of one collector, oldest first.
     *
     * @param collectorId the collector
     * @param name        only this metric, empty for all
     * @param since       only samples measured at or after this instant
     * @param limit       at most this many, 1..{@link #MAX_SAMPLES}
     * @return the samples, or empty when the collector is unknown
     */
    Optional<List<Sample>> samples(CollectorId collectorId, String name, Instant since, int limit);
}
