package io.pgfleet.server;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Connections that their clients close in the middle of a request's first line or headers: counted, and said in
 * at most one line a minute with the count, instead of Helidon's warning per connection.
 *
 * <p>Helidon 4.1 takes a connection that ends while it reads headers for a failure of its own: it
 * logs {@code WARNING Internal server error} with a 16-line stack trace ({@code RequestException:
 * Internal error}, caused by {@code DataReader$InsufficientDataAvailableException}). A client that
 * hangs up is routine (a health checker's timeout, a flaky network, a scanner), and anyone who can
 * reach the port could write 1.6 KB of log per TCP connection. Only that record is held back, by a
 * filter on Helidon's HTTP/1 connection logger: its other records, real internal errors among them,
 * are logged as before. A connection whose first line had not arrived whole when it was accepted
 * is read by the HTTP adapter's own selector (it tells HTTP/1.0 apart) until the line ends: a hang-up
 * there reaches Helidon's connection handler, which logs {@code unexpected exception} with the same
 * cause, and is held back and counted alike.
 */
final class IncompleteRequests implements Filter {

    /** Helidon's HTTP/1 connection logger, held here: a JUL logger nobody references loses its filter. */
    private static final Logger HELIDON = Logger.getLogger("io.helidon.webserver.http1.Http1Connection");
    /** Helidon's connection handler, which logs what a connection's first-line reader throws. */
    private static final Logger HANDLER = Logger.getLogger("io.helidon.webserver.ConnectionHandler");
    /** By name: the server module does not read Helidon's buffers module for one class name. */
    private static final String END_OF_DATA = "io.helidon.common.buffers.DataReader$InsufficientDataAvailableException";
    private static final System.Logger LOG = System.getLogger(IncompleteRequests.class.getName());
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    private static final AtomicLong TOTAL = new AtomicLong();

    private final Filter previous;
    private final Minute minute;

    IncompleteRequests(Filter previous, Duration period, LongSupplier nanoTime) {
        this(previous, new Minute(period, nanoTime));
    }

    private IncompleteRequests(Filter previous, Minute minute) {
        this.previous = previous;
        this.minute = minute;
    }

    /** The hang-ups not said yet, and when the line was said last: one for every logger filtered. */
    private static final class Minute {
        private final long periodNanos;
        private final LongSupplier nanoTime;
        private boolean said;
        private long saidAt;
        private long unsaid;

        Minute(Duration period, LongSupplier nanoTime) {
            this.periodNanos = period.toNanos();
            this.nanoTime = nanoTime;
        }

        /** Counts one hang-up; how many to say now, or 0 while the period since the last line lasts. */
        synchronized long count() {
            long now = nanoTime.getAsLong();
            unsaid++;
            if (said && now - saidAt < periodNanos) {
                return 0;
            }
            long count = unsaid;
            unsaid = 0;
            said = true;
            saidAt = now;
            return count;
        }
    }

    /** Filters Helidon's logger, once per JVM; a filter an operator's logging configuration set still applies. */
    static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            // One minute shared by both loggers: the line is said at most once a minute in all.
            Minute minute = new Minute(Duration.ofMinutes(1), System::nanoTime);
            HELIDON.setFilter(new IncompleteRequests(HELIDON.getFilter(), minute));
            HANDLER.setFilter(new IncompleteRequests(HANDLER.getFilter(), minute));
        }
    }

    /**
     * Connections closed in the middle of a request's first line or headers since the JVM started (one counter for
     * every server of the JVM: Helidon's logger is one).
     */
    static long total() {
        return TOTAL.get();
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (!isHangUp(record)) {
            return previous == null || previous.isLoggable(record);
        }
        TOTAL.incrementAndGet();
        long count = minute.count();
        if (count == 0) {
            return false;
        }
        LOG.log(System.Logger.Level.INFO, (count == 1 ? "1 connection was closed by its client"
                : count + " connections were closed by their clients") + " in the middle of a request's first line or headers"
                + " (said at most once a minute; counted in pgfleet_http_incomplete_requests_total)");
        return false;
    }

    /**
     * Helidon's "Internal server error" (HTTP/1 connection) or "unexpected exception" (connection
     * handler) whose cause is the end of the client's data.
     */
    static boolean isHangUp(LogRecord record) {
        if (record.getLevel().intValue() < Level.WARNING.intValue() || record.getMessage() == null
                || !(record.getMessage().contains("Internal server error")
                        || record.getMessage().contains("unexpected exception"))) {
            return false;
        }
        Throwable t = record.getThrown();
        for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
            if (t.getClass().getName().equals(END_OF_DATA)) {
                return true;
            }
        }
        return false;
    }
}
