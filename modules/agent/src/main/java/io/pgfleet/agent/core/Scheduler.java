package io.pgfleet.agent.core;

import java.time.Duration;
import java.time.Instant;

/**
 * Time and timers for the core. Work on one lane never overlaps other work of the same lane; lanes
 * run independently, so a held watch (pull lane) never delays a push.
 */
public interface Scheduler {

    /** Independent sequences of work. */
    enum Lane {
        /** Configuration pulls and watches (may block for a held watch). */
        PULL,
        /** Pushes of samples. */
        PUSH,
        /** Collector runs. */
        COLLECT
    }

    /** Something scheduled, which can be called off. */
    interface Task {
        /** Calls it off if it has not started; a run in progress finishes. */
        void cancel();
    }

    /**
     * The current time.
     *
     * @return now
     */
    Instant now();

    /**
     * Runs work once after a delay.
     *
     * @param lane  which sequence it belongs to
     * @param delay how long to wait, zero for at once
     * @param work  the work
     * @return the scheduled task
     */
    Task schedule(Lane lane, Duration delay, Runnable work);
}
