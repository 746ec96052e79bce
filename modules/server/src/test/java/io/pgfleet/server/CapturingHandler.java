package io.pgfleet.server;

import java.util.Collection;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/** A log handler that adds every message logged to a collection: what the server's log would show. */
final class CapturingHandler extends Handler {

    private final Collection<String> into;

    /** @param into where the messages go (thread-safe when more than one thread logs) */
    CapturingHandler(Collection<String> into) {
        this.into = into;
    }

    @Override
    public void publish(LogRecord r) {
        into.add(r.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
