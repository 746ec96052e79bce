package io.pgfleet.domain.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What one collector may still push at a moment: a token bucket of {@link SampleRate}. Immutable;
 * each take answers the allowance left.
 *
 * @param samples samples that may be taken now, at most the rate's burst
 * @param at      when that was so
 */
public record SampleAllowance(double samples, Instant at) {

    /** Requires a time and a count that is not negative. */
    public SampleAllowance {
        Objects.requireNonNull(at, "at");
        if (!(samples >= 0)) {
            throw new IllegalArgumentException("an allowance is not negative, got " + samples);
        }
    }

    /**
     * The allowance of a collector not seen for a while: the whole burst.
     *
     * @param rate the rate
     * @param now  the time
     * @return a full allowance
     */
    public static SampleAllowance full(SampleRate rate, Instant now) {
        return new SampleAllowance(rate.burst(), now);
    }

    /** The outcome of a take. */
    public sealed interface Take {
        /** The allowance after it. @return the allowance */
        SampleAllowance left();
    }

    /**
     * Taken.
     *
     * @param left what is left
     */
    public record Granted(SampleAllowance left) implements Take {
    }

    /**
     * Not taken: nothing of the allowance was used.
     *
     * @param left       the allowance, refilled to now
     * @param retryAfter how long until the same take would be granted (at least a second)
     */
    public record Refused(SampleAllowance left, Duration retryAfter) implements Take {
    }

    /**
     * The allowance refilled up to {@code now}; a clock that went back refills nothing.
     *
     * @param rate the rate
     * @param now  the time
     * @return the allowance at {@code now}
     */
    public SampleAllowance at(SampleRate rate, Instant now) {
        if (!now.isAfter(at)) {
            return this;
        }
        double nanos = Duration.between(at, now).toNanos();
        double refilled = samples + nanos * rate.perMinute() / 60e9;
        return new SampleAllowance(Math.min(rate.burst(), refilled), now);
    }

    /**
     * Takes {@code count} samples, all or none.
     *
     * @param count the samples of a batch ({@link SampleRate#cost})
     * @param rate  the rate
     * @param now   the time
     * @return granted with what is left, or refused with how long to wait
     */
    public Take take(int count, SampleRate rate, Instant now) {
        SampleAllowance current = at(rate, now);
        if (count <= current.samples) {
            return new Granted(new SampleAllowance(current.samples - count, current.at));
        }
        double missing = count - current.samples;
        long seconds = (long) Math.ceil(missing * 60 / rate.perMinute());
        return new Refused(current, Duration.ofSeconds(Math.max(1, seconds)));
    }

    /**
     * Gives back what a take took for a batch that was then not stored (a duplicate, a failure).
     *
     * @param count the samples taken
     * @param rate  the rate
     * @param now   the time
     * @return the allowance with them, at most the burst
     */
    public SampleAllowance giveBack(int count, SampleRate rate, Instant now) {
        SampleAllowance current = at(rate, now);
        return new SampleAllowance(Math.min(rate.burst(), current.samples + count), current.at);
    }

    /**
     * Whether the allowance is whole at {@code now}: forgetting it then changes nothing.
     *
     * @param rate the rate
     * @param now  the time
     * @return whether it holds the whole burst
     */
    public boolean fullAt(SampleRate rate, Instant now) {
        return at(rate, now).samples >= rate.burst();
    }
}
