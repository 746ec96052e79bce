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
     * thread is interrupted (the interrupt is left set for the caller to see), or before a round once
     * real work — a publish, a layer change, a registration, a rollout step — has run the same code
     * since {@link #countWorkFromNow()} (or, without that call, since this use case was made): from
     * then on the server's own requests compile it, and the warm-up's rounds would only take CPU from
     * them.
     *
     * @param rounds how many rounds, 0..{@link #MAX_ROUNDS}
     * @return what was run
     */
    Warmed warmUp(int rounds);

    /**
     * Counts real work from now on. The server calls it just before it serves: its own work before
     * that (completing stored effective revisions) must not end the warm-up, while a publish that
     * arrives between "ready" and the warm-up's first round must, as any publish after it does.
     */
    void countWorkFromNow();

    /** How a warm-up ended. */
    enum Ending {
        /** Every round asked for was run. */
        COMPLETED,
        /** The calling thread was interrupted (the server stops). */
        INTERRUPTED,
        /** Real work ran the publish path's code: the warm-up gave way to it. */
        WORK_ARRIVED
    }

    /**
     * What a warm-up ran.
     *
     * @param rounds rounds completed
     * @param ending how it ended
     * @param first  how long the first round took (the code cold)
     * @param last   how long the last round took (the code as warm as the warm-up made it)
     * @param total  how long all rounds took
     */
    record Warmed(int rounds, Ending ending, Duration first, Duration last, Duration total) {

        /** Requires every part and a count that is not negative. */
        public Warmed {
            Objects.requireNonNull(ending, "ending");
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(last, "last");
            Objects.requireNonNull(total, "total");
            if (rounds < 0) {
                throw new IllegalArgumentException("rounds must not be negative, got " + rounds);
            }
        }

        /** @return whether it ended before all rounds asked for were run */
        public boolean stopped() {
            return ending != Ending.COMPLETED;
        }
    }
}
