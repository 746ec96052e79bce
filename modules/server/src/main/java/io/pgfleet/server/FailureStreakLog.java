package io.pgfleet.server;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The log of a background task that runs every tick and may fail for as long as the database is
 * away: the first failure of a streak is logged with its stack trace, later ones of the same streak
 * at most once per period as one line with their count, and the first success after a streak says
 * how long it lasted. The rollout driver ticks every second: an hour without the database used to
 * write 3,600 stack traces (about 5 KB each) saying the same thing.
 *
 * <p>Called from one scheduler thread at a time; not meant for concurrent callers.
 */
final class FailureStreakLog {

    private final System.Logger log;
    private final String what;
    private final long periodNanos;
    private final LongSupplier nanoTime;
    private boolean failing;
    private long startedAt;
    private long saidAt;
    private long failures;
    private long unsaid;

    /**
     * A log for one task.
     *
     * @param log      where it is said
     * @param what     the task, as in "driving rollouts"
     * @param period   the shortest time between two lines of one streak
     * @param nanoTime a monotonic clock ({@code System::nanoTime})
     */
    FailureStreakLog(System.Logger log, String what, Duration period, LongSupplier nanoTime) {
        this.log = log;
        this.what = what;
        this.periodNanos = period.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * A run of the task failed.
     *
     * @param error why
     */
    void failed(RuntimeException error) {
        long now = nanoTime.getAsLong();
        failures++;
        if (!failing) {
            failing = true;
            startedAt = now;
            saidAt = now;
            unsaid = 0;
            log.log(System.Logger.Level.WARNING, what + " failed: " + error.getMessage()
                    + " (retried every tick; repeats are summarised until it succeeds)", error);
            return;
        }
        unsaid++;
        if (now - saidAt >= periodNanos) {
            saidAt = now;
            log.log(System.Logger.Level.WARNING, what + " still failing after " + seconds(now - startedAt) + " s ("
                    + unsaid + " more failures since the last line, " + failures + " in all): " + error.getMessage());
            unsaid = 0;
        }
    }

    /** A run of the task succeeded: ends a streak of failures, saying so. */
    void succeeded() {
        if (!failing) {
            return;
        }
        log.log(System.Logger.Level.INFO, what + " works again after " + seconds(nanoTime.getAsLong() - startedAt)
                + " s and " + failures + " failures");
        failing = false;
        failures = 0;
        unsaid = 0;
    }

    private static long seconds(long nanos) {
        return Duration.ofNanos(nanos).toSeconds();
    }
}
