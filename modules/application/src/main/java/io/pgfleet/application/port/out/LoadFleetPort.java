package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;

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
     * Bytes of names and labels (as stored JSON text) one read of samples holds at most: ten thousand
     * samples as agents write them (a few hundred bytes each with a statement's text) fit several
     * times over, ten thousand of a collector's samples each with 16 labels of 256 characters (52 MB
     * of JSON) do not. A handful of parallel reads of those took the server's 512 MiB heap.
     */
    int MAX_SAMPLE_TEXT_BYTES = 4 * 1024 * 1024;

    /**
     * Samples of one collector in the order of {@link SamplePosition} (oldest first): at most
     * {@code limit}, and no more than {@link #MAX_SAMPLE_TEXT_BYTES} of names and labels (the first
     * sample always). The read stays bounded however many samples share one time: it goes through
     * an index in that order, and sorts at most the samples of one batch with one name at one time.
     *
     * @param collectorId the collector
     * @param name        one metric, empty for all
     * @param since       measured at or after
     * @param after       only samples after this position (of a read of the same collector)
     * @param limit       at most
     * @return the page, with the position of its last sample and whether more followed
     */
    SamplePage loadSamples(CollectorId collectorId, String name, Instant since, Optional<SamplePosition> after, int limit);
}
