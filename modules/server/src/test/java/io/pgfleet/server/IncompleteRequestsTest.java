package io.pgfleet.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which of Helidon's records the filter holds back, and how often it says how many it did. */
class IncompleteRequestsTest {

    /** A stand-in for Helidon's buffers exception: the filter knows it by name. */
    private static LogRecord helidon(String message, Throwable cause) {
        LogRecord r = new LogRecord(Level.WARNING, message);
        r.setLoggerName("io.helidon.webserver.http1.Http1Connection");
        r.setThrown(new RuntimeException("Internal error", cause));
        return r;
    }

    private static Throwable endOfData() throws Exception {
        Class<?> type = Class.forName("io.helidon.common.buffers.DataReader$InsufficientDataAvailableException");
        java.lang.reflect.Constructor<?> c = type.getDeclaredConstructor();
        c.setAccessible(true);
        return (Throwable) c.newInstance();
    }

    @Test
    void aRealInternalErrorIsStillLoggedWhileAHangUpIsHeldBack() throws Exception {
        IncompleteRequests filter = new IncompleteRequests(null, Duration.ofMinutes(1), System::nanoTime);
        assertTrue(filter.isLoggable(helidon("Internal server error", new IllegalStateException("a bug"))));
        assertTrue(filter.isLoggable(helidon("something else", endOfData())));
        assertFalse(filter.isLoggable(helidon("Internal server error", endOfData())));
    }

    @Test
    void hangUpsAreSaidAtMostOnceAMinuteWithHowManyThereWere() throws Exception {
        Logger log = Logger.getLogger(IncompleteRequests.class.getName());
        List<String> said = new CopyOnWriteArrayList<>();
        Handler capture = new CapturingHandler(said);
        log.addHandler(capture);
        try {
            AtomicLong now = new AtomicLong(1_000);
            IncompleteRequests filter = new IncompleteRequests(null, Duration.ofMinutes(1), now::get);
            for (int i = 0; i < 5; i++) {
                filter.isLoggable(helidon("Internal server error", endOfData()));
                now.addAndGet(Duration.ofSeconds(10).toNanos());
            }
            assertEquals(1, said.size(), said.toString());
            assertTrue(said.getFirst().startsWith("1 connection was closed by its client"), said.getFirst());
            now.addAndGet(Duration.ofSeconds(20).toNanos());
            filter.isLoggable(helidon("Internal server error", endOfData()));
            assertEquals(2, said.size(), said.toString());
            assertTrue(said.get(1).startsWith("5 connections were closed by their clients"), said.get(1));
        } finally {
            log.removeHandler(capture);
        }
    }
}
