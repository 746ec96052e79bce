package io.pgfleet.agent.core;

import java.time.Duration;
import java.time.Instant;

/**
 * Time and timers for the core. Work on one lane never overlaps other work of the same lane; lanes
 * run independently, so a held watch (pull lane) never delays a push, and a stalled database
 * (collect and facts lanes) never delays the host's metrics nor an apply.
 */
public interface Scheduler {

    /** Independent sequences of work. */
    enum Lane {
        /** Configuration pulls and watches (may block for a held watch). */
        PULL,
        /** Pushes of samples. */
        PUSH,
        /**
         * Runs of the collectors that read the monitored PostgreSQL (may block for the driver's socket
         * timeout when the database does not answer).
         */
        COLLECT,
        /**
         * Runs of the host's own collectors ({@code sysstat}, {@code disk_usage}): a lane of their own,
         * so a database that does not answer never holds them.
         */
        COLLECT_HOST,
        /**
         * Reads of what the monitored PostgreSQL offers (its facts), and checks that the database a
         * new version points at can be reached: a lane of their own, so an apply (and with it the
         * pull lane) never waits for a database that does not answer, nor do the collectors.
         */
        FACTS
    }

    /** Something scheduled, which can be called off. */
    interface Task {
        /** Calls it off if it has not started; a run in progress finishes. */
        void cancel();
    }

    /**
     * The current time on the wall clock, for what is dated (samples, reports). It may step back
     * or forward at any moment (NTP, {@code date -s}, a resumed VM): never subtract two readings.
     *
     * @return now
     */
    Instant now();

    /**
     * A reading of a monotonic clock, in nanoseconds from an arbitrary origin, as
     * {@link System#nanoTime()}: what durations, intervals and pauses are measured on. It never
     * steps when the wall clock does; only the difference of two readings means anything.
     *
     * @return the reading
     */
    long nanoTime();

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
