package io.pgfleet.server;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Holds back Helidon's warning for an error answer after which the connection is closed on purpose.
 *
 * <p>Helidon 4.1 does not close a connection whose answer says {@code Connection: close}, so the
 * API's error handlers close it themselves once the answer is sent (see the HTTP adapter's
 * {@code ConnectionClose}): the only way Helidon offers is an exception thrown from the handler.
 * Helidon then logs {@code WARNING … cannot send error response, as response already sent} with the
 * original failure's whole stack — for every 404 to a client that says {@code Connection: close}
 * (nginx does by default) and every {@code 503} of a database outage. The answer was sent and the
 * close was wanted, so that record says nothing true; the API's own handlers log what a failure
 * needs (the 503's line, limited to one stack trace a minute). Other records of that logger pass.
 */
final class ClosedAfterAnswer implements Filter {

    /** Helidon's routing error handling logger, held here: a JUL logger nobody references loses its filter. */
    private static final Logger HELIDON = Logger.getLogger("io.helidon.webserver.http.ErrorHandlers");
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private final Filter previous;

    ClosedAfterAnswer(Filter previous) {
        this.previous = previous;
    }

    /** Filters Helidon's logger, once per JVM; a filter an operator's logging configuration set still applies. */
    static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            HELIDON.setFilter(new ClosedAfterAnswer(HELIDON.getFilter()));
        }
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (isClosedAfterAnswer(record)) {
            return false;
        }
        return previous == null || previous.isLoggable(record);
    }

    /** Helidon's warning that an error answer had been sent already when the handler ended. */
    static boolean isClosedAfterAnswer(LogRecord record) {
        return record.getLevel().intValue() >= Level.WARNING.intValue() && record.getMessage() != null
                && record.getMessage().contains("cannot send error response, as response already sent");
    }
}
