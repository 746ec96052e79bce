package io.pgfleet.server;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's console log: one line per record with its UTC time, level and logger (the JDK's
 * default printed two lines per record), a stack trace after the line of a failure, and an
 * operator's own format left alone.
 */
class LogLineFormatterTest {

    @Test
    void aRequestLineIsPrintedOnOneLineWithItsTimeLevelAndLogger() {
        Logger logger = Logger.getAnonymousLogger();
        logger.setUseParentHandlers(false);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream err = System.err;
        ConsoleHandler handler;
        // A ConsoleHandler prints to the System.err of the moment it is made.
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            handler = new ConsoleHandler();
        } finally {
            System.setErr(err);
        }
        logger.addHandler(handler);

        assertTrue(LogLineFormatter.installOnConsole(logger));
        LogRecord record = new LogRecord(Level.INFO, "GET /api/v1/config/{id} 200 0.3 ms principal=admin request_id=r1");
        record.setInstant(Instant.parse("2026-11-30T19:24:00.123456789Z"));
        record.setLoggerName("io.pgfleet.http.requests");
        logger.log(record);
        handler.flush();

        assertEquals("2026-11-30T19:24:00.123Z INFO io.pgfleet.http.requests: GET /api/v1/config/{id} 200 0.3 ms"
                + " principal=admin request_id=r1" + System.lineSeparator(), console.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aFailureIsFollowedByItsStackTrace() {
        LogRecord record = new LogRecord(Level.WARNING, "listener lost its connection");
        record.setInstant(Instant.parse("2026-11-30T19:24:00Z"));
        record.setLoggerName("io.pgfleet.listen");
        record.setThrown(new IllegalStateException("connection reset"));

        String[] lines = new LogLineFormatter().format(record).split("\\R");

        assertEquals("2026-11-30T19:24:00Z WARNING io.pgfleet.listen: listener lost its connection", lines[0]);
        assertEquals("java.lang.IllegalStateException: connection reset", lines[1]);
        assertTrue(lines[2].startsWith("\tat "), lines[2]);
    }

    @Test
    void anOperatorsOwnFormatIsLeftAlone() {
        Logger logger = Logger.getAnonymousLogger();
        logger.setUseParentHandlers(false);
        ConsoleHandler handler = new ConsoleHandler();
        logger.addHandler(handler);
        System.setProperty("java.util.logging.SimpleFormatter.format", "%5$s%n");
        try {
            assertFalse(LogLineFormatter.installOnConsole(logger));
        } finally {
            System.clearProperty("java.util.logging.SimpleFormatter.format");
            handler.close();
        }
        assertInstanceOf(SimpleFormatter.class, handler.getFormatter());
    }
}
