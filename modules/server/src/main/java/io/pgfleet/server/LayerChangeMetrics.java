package io.pgfleet.server;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pgfleet.application.port.out.RecordLayerChangeTimingPort;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * Where committed layer publishes spend their time, as histograms on {@code /observe/metrics}:
 * {@code pgfleet_layer_change_seconds{phase=…}} (locked, read, merged, checked, stored, total) and
 * {@code pgfleet_layer_change_members}. The same figures as the server's {@code layer change: …} log
 * line, so an alert can fire on a slow publish without anyone reading logs.
 */
final class LayerChangeMetrics implements RecordLayerChangeTimingPort {

    /** Buckets (s): from a one-collector layer (milliseconds) to a fleet of 100,000 (tens of seconds). */
    static final Duration[] BUCKETS = java.util.stream.DoubleStream.of(
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
            .mapToObj(s -> Duration.ofNanos(Math.round(s * 1_000_000_000L))).toArray(Duration[]::new);

    /** Buckets of members reached by one publish. */
    static final double[] MEMBER_BUCKETS = {1, 10, 100, 1_000, 10_000, 100_000};

    private static final Map<String, Function<Timing, Duration>> PHASES = Map.of(
            "locked", Timing::locked, "read", Timing::read, "merged", Timing::merged, "checked", Timing::checked,
            "stored", Timing::stored, "total", Timing::total);

    private final Map<String, Timer> timers = new java.util.HashMap<>();
    private final DistributionSummary members;

    LayerChangeMetrics(MeterRegistry registry) {
        PHASES.keySet().forEach(phase -> timers.put(phase, Timer.builder("pgfleet_layer_change")
                .description("Where committed fleet and group layer publishes spent their time: locking, reading,"
                        + " merging and validating their members, checking capabilities, storing the effective"
                        + " revisions, and the whole transaction up to its commit (total)")
                .tag("phase", phase)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)));
        members = DistributionSummary.builder("pgfleet_layer_change_members")
                .description("Collectors reached by one committed layer publish")
                .serviceLevelObjectives(MEMBER_BUCKETS)
                .register(registry);
    }

    @Override
    public void recordLayerChange(Timing timing) {
        PHASES.forEach((phase, part) -> timers.get(phase).record(part.apply(timing)));
        members.record(timing.members());
    }
}
