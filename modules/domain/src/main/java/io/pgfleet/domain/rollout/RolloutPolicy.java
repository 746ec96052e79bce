package io.pgfleet.domain.rollout;

import java.util.List;
import java.util.Objects;

/**
 * What an operator asks of a rollout: its waves and how each is judged.
 *
 * @param waves                the waves in order; the last is {@code {percent: 100}}
 * @param bakeSeconds          how long a wave must stay healthy after its last report before the next starts
 * @param maxFailed            how many members of one wave may fail (a count) without rolling back
 * @param applyDeadlineSeconds how long a member of a started wave has to report before it counts as failed
 */
public record RolloutPolicy(List<WaveSpec> waves, long bakeSeconds, int maxFailed, long applyDeadlineSeconds) {

    /** The most waves one rollout has. */
    public static final int MAX_WAVES = 20;
    /** The longest bake, in seconds (one day). */
    public static final long MAX_BAKE_SECONDS = 86_400;
    /** The longest apply deadline, in seconds (one day). */
    public static final long MAX_DEADLINE_SECONDS = 86_400;
    /** The default apply deadline, in seconds. */
    public static final long DEFAULT_DEADLINE_SECONDS = 600;
    /** The highest max_failed accepted. */
    public static final int MAX_FAILED_LIMIT = 100_000;

    /** Requires 1 to {@value #MAX_WAVES} waves, rising percentages ending at 100, and bounded times. */
    public RolloutPolicy {
        Objects.requireNonNull(waves, "waves");
        waves = List.copyOf(waves);
        if (waves.isEmpty() || waves.size() > MAX_WAVES) {
            throw new IllegalArgumentException("a rollout has 1 to " + MAX_WAVES + " waves, not " + waves.size());
        }
        int last = 0;
        for (int i = 0; i < waves.size(); i++) {
            if (waves.get(i) instanceof WaveSpec.ByPercent p) {
                if (p.percent() <= last) {
                    throw new IllegalArgumentException("wave " + (i + 1) + ": percentages are cumulative and must rise ("
                            + p.percent() + " after " + last + ")");
                }
                last = p.percent();
            }
        }
        if (!(waves.get(waves.size() - 1) instanceof WaveSpec.ByPercent p) || p.percent() != 100) {
            throw new IllegalArgumentException("the last wave must be {\"percent\": 100}, so that every member is reached");
        }
        if (bakeSeconds < 0 || bakeSeconds > MAX_BAKE_SECONDS) {
            throw new IllegalArgumentException("bake_seconds is 0 to " + MAX_BAKE_SECONDS);
        }
        if (maxFailed < 0 || maxFailed > MAX_FAILED_LIMIT) {
            throw new IllegalArgumentException("max_failed is 0 to " + MAX_FAILED_LIMIT);
        }
        if (applyDeadlineSeconds < 1 || applyDeadlineSeconds > MAX_DEADLINE_SECONDS) {
            throw new IllegalArgumentException("apply_deadline_seconds is 1 to " + MAX_DEADLINE_SECONDS);
        }
    }
}
