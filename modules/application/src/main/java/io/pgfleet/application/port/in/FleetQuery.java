package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.FleetCounts;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;

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
     * One collector as the fleet view shows it.
     *
     * @param collectorId the collector
     * @return it, or that no collector has the id, or when it was decommissioned (its id is never reused)
     */
    MemberLookup member(CollectorId collectorId);

    /**
     * The outcome of reading one collector of the fleet view.
     */
    sealed interface MemberLookup {

        /**
         * The collector, as a row of the fleet view.
         *
         * @param member the collector with its versions and last report
         */
        record Found(FleetMember member) implements MemberLookup {
            /** Requires the member. */
            public Found {
                java.util.Objects.requireNonNull(member, "member");
            }
        }

        /** No collector has the id, and none ever had. */
        record NotFound() implements MemberLookup {
        }

        /**
         * The collector was decommissioned: gone from the fleet, its id taken for good.
         *
         * @param at when it was decommissioned
         */
        record Decommissioned(Instant at) implements MemberLookup {
            /** Requires the instant. */
            public Decommissioned {
                java.util.Objects.requireNonNull(at, "at");
            }
        }
    }

    /**
     * How many collectors are in each state, counted by the store without reading every collector
     * (what monitoring scrapes).
     *
     * @return the counts, with the meaning of {@link FleetCounts#of} over {@link #fleet()}
     */
    FleetCounts counts();

    /**
     * Stored samples of one collector, oldest first (then by name, batch and labels: the order of
     * {@link SamplePosition}); a page holds at most 4 MiB of names and labels (the first sample
     * always), whatever its limit. Reading on after the page's last position reads every sample
     * once, however many share one time.
     *
     * @param collectorId the collector
     * @param name        only this metric, empty for all
     * @param since       only samples measured at or after this instant
     * @param after       only samples after this position, the last of an earlier page of the same
     *                    collector (and, when {@code name} is given, of that metric)
     * @param limit       at most this many, 1..{@link #MAX_SAMPLES}
     * @return the page, or empty when no collector ever had the id. A decommissioned collector's
     *         samples stay readable (until the retention purge, then none), so empty never means "decommissioned": an {@code Optional} says
     *         all there is to say, and this read needs no result type of its own.
     * @throws IllegalArgumentException when the limit is out of range, or {@code after} is a
     *                                  position of another metric than {@code name}
     */
    Optional<SamplePage> samples(CollectorId collectorId, String name, Instant since, Optional<SamplePosition> after,
                                 int limit);
}
