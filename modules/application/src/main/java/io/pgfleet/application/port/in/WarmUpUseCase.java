package io.pgfleet.application.port.in;

import java.time.Duration;
import java.util.Objects;

/**
 * Runs the publish path's pure code — parse, validate, merge the layers, render, hash — on built-in
 * sample documents, so that the JIT has compiled it before an operator's first publish after a start.
 * It reaches no outgoing port but the document parser: it stores nothing, audits nothing and
 * announces nothing.
 */
public interface WarmUpUseCase {

    /** The most rounds one warm-up runs. */
    int MAX_ROUNDS = 100_000;

    /**
     * Runs up to {@code rounds} rounds, stopping early (after the round in progress) when the calling
     * thread is interrupted; the interrupt is left set for the caller to see.
     *
     * @param rounds how many rounds, 0..{@link #MAX_ROUNDS}
     * @return what was run
     */
    Warmed warmUp(int rounds);

    /**
     * What a warm-up ran.
     *
     * @param rounds  rounds completed
     * @param stopped whether it was stopped before all rounds were run
     * @param first   how long the first round took (the code cold)
     * @param last    how long the last round took (the code as warm as the warm-up made it)
     * @param total   how long all rounds took
     */
    record Warmed(int rounds, boolean stopped, Duration first, Duration last, Duration total) {

        /** Requires every part and a count that is not negative. */
        public Warmed {
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(last, "last");
            Objects.requireNonNull(total, "total");
            if (rounds < 0) {
                throw new IllegalArgumentException("rounds must not be negative, got " + rounds);
            }
        }
    }
}
