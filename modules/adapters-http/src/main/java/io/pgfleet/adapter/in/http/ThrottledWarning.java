package io.pgfleet.adapter.in.http;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A warning (or an event) that may recur once per request, said in full (with its stack trace) at most once per
 * period; the repeats in between are counted and the count goes with the next full line. With the
 * database away for an hour, every request of the fleet is answered 503: one stack trace per answer
 * would make the log grow with the fleet's request rate (about 5 KB each), while the request log
 * already has one line per answer.
 */
final class ThrottledWarning {

    private final System.Logger log;
    private final long periodNanos;
    private final LongSupplier nanoTime;
    private boolean said;
    private long saidAt;
    private long repeats;

    /**
     * A warning said at most once per period.
     *
     * @param log      where it is said
     * @param period   the shortest time between two full lines
     * @param nanoTime a monotonic clock ({@code System::nanoTime})
     */
    ThrottledWarning(System.Logger log, Duration period, LongSupplier nanoTime) {
        this.log = log;
        this.periodNanos = period.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * Says the warning now if the period since the last full line has passed, else counts it.
     *
     * @param message what happened
     * @param error   why
     * @return whether it was said
     */
    boolean warn(String message, Throwable error) {
        return say(System.Logger.Level.WARNING, message, error);
    }

    /**
     * Says an event that may recur once per request (a refused request a flood repeats) at
     * {@code INFO}, if the period since the last full line has passed, else counts it.
     *
     * @param message what happened
     * @return whether it was said
     */
    boolean info(String message) {
        return say(System.Logger.Level.INFO, message, null);
    }

    private boolean say(System.Logger.Level level, String message, Throwable error) {
        long now = nanoTime.getAsLong();
        long skipped;
        synchronized (this) {
            if (said && now - saidAt < periodNanos) {
                repeats++;
                return false;
            }
            skipped = repeats;
            repeats = 0;
            said = true;
            saidAt = now;
        }
        log.log(level, skipped == 0 ? message
                : message + " (and " + skipped + " more like it since the last such line, not logged one by one;"
                        + " the request log has each)", error);
        return true;
    }
}
