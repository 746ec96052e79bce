package io.pgfleet.server;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request log on the console: a batch of lines written with one system call when the request
 * log's writer flushes, whole lines only, warnings at once, nothing left behind at close.
 */
class BurstConsoleHandlerTest {

    /** Each write call the console receives, as text. */
    private static final class Writes extends OutputStream {
        final List<String> writes = new ArrayList<>();

        @Override
        public synchronized void write(int b) {
            writes.add(String.valueOf((char) b));
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.add(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }

    private static LogRecord line(Level level, String message) {
        LogRecord r = new LogRecord(level, message);
        r.setLoggerName("io.pgfleet.http.requests");
        return r;
    }

    @Test
    void theRequestLogsLinesOfABurstReachTheConsoleInOneWrite() {
        Writes console = new Writes();
        PrintStream err = System.err;
        ConsoleHandler consoleHandler;
        // The console handlers print to the System.err of the moment they are made.
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        Logger root = Logger.getAnonymousLogger();
        Logger requests = Logger.getAnonymousLogger();
        try {
            consoleHandler = new ConsoleHandler();
            root.setUseParentHandlers(false);
            root.addHandler(consoleHandler);
            assertTrue(LogLineFormatter.installOnConsole(root));
            requests.setParent(root);
            assertTrue(BurstConsoleHandler.installFor(root, requests));
        } finally {
            System.setErr(err);
        }
        for (int i = 0; i < 100; i++) {
            requests.log(line(Level.INFO, "GET /api/v1/config/{id} 200 0.3 ms principal=admin request_id=" + i));
        }
        assertEquals(List.of(), console.writes, "nothing is written before the batch is flushed");
        for (java.util.logging.Handler h : requests.getHandlers()) {
            h.flush();
        }

        assertEquals(1, console.writes.size(), "one write for the batch");
        String[] lines = console.writes.getFirst().split("\\R");
        assertEquals(100, lines.length);
        for (int i = 0; i < 100; i++) {
            assertTrue(lines[i].matches("\\S+Z INFO io\\.pgfleet\\.http\\.requests: GET .* request_id=" + i), lines[i]);
        }
        // Not printed a second time by the root's console handler.
        consoleHandler.flush();
        assertEquals(1, console.writes.size());
    }

    @Test
    void aWarningIsWrittenAtOnceAndWaitingLinesAreBoundedAndWrittenAtClose() {
        Writes console = new Writes();
        BurstConsoleHandler handler = new BurstConsoleHandler(console, StandardCharsets.UTF_8);
        handler.setFormatter(new LogLineFormatter());

        handler.publish(line(Level.INFO, "one"));
        handler.publish(line(Level.WARNING, "3 request log line(s) dropped"));
        assertEquals(1, console.writes.size());
        assertTrue(console.writes.getFirst().contains(": one" + System.lineSeparator()), console.writes.getFirst());
        assertTrue(console.writes.getFirst().contains("WARNING io.pgfleet.http.requests: 3 request log"));

        String long1 = "x".repeat(200);
        int before = console.writes.size();
        for (int i = 0; i < BurstConsoleHandler.LIMIT / 200 + 10; i++) {
            handler.publish(line(Level.INFO, long1));
        }
        assertEquals(before + 1, console.writes.size(), "at most LIMIT characters wait");
        assertTrue(console.writes.getLast().endsWith(System.lineSeparator()), "only whole lines are written");

        handler.publish(line(Level.INFO, "last"));
        handler.close();
        assertTrue(console.writes.getLast().endsWith(": last" + System.lineSeparator()), console.writes.getLast());
    }

    @Test
    void anOperatorsOwnConsoleSetUpIsLeftAlone() {
        Logger root = Logger.getAnonymousLogger();
        root.setUseParentHandlers(false);
        ConsoleHandler own = new ConsoleHandler();
        root.addHandler(own);
        Logger requests = Logger.getAnonymousLogger();
        // The console keeps the JDK's (or the operator's) formatter: LogLineFormatter was not installed.
        assertFalse(BurstConsoleHandler.installFor(root, requests));
        assertEquals(0, requests.getHandlers().length);
        assertTrue(requests.getUseParentHandlers());
        assertInstanceOf(java.util.logging.SimpleFormatter.class, own.getFormatter());
        own.close();
    }
}
