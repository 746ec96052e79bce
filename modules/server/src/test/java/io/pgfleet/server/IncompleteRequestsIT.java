package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.pgfleet.server.DatabaseWaits.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that hang up in the middle of their request headers are routine: counted on
 * {@code /observe/metrics} and said in at most one line a minute, not a warning with a stack trace
 * per connection that anyone reaching the port could flood the log with.
 */
class IncompleteRequestsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final int CONNECTIONS = 40;

    /** Every record the JVM logs while the test runs, captured at the root where the console handler is. */
    private static final class Captured extends Handler {
        final List<LogRecord> records = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        List<LogRecord> from(String logger, Level atLeast) {
            return records.stream().filter(r -> r.getLoggerName() != null && r.getLoggerName().startsWith(logger)
                    && r.getLevel().intValue() >= atLeast.intValue()).toList();
        }
    }

    private static long counted() {
        return new ApiClient(SERVER.port()).get("/observe/metrics").body()
                .lines().filter(l -> l.startsWith("pgfleet_http_incomplete_requests_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).sum();
    }

    @Test
    void clientsHangingUpInTheirHeadersAreCountedAndSaidOnceNotWarnedAboutOneByOne() throws Exception {
        // The request line and some headers, then gone before the blank line.
        hangUpsAreCountedNotWarnedAbout("GET /observe/health HTTP/1.1\r\nHost: x\r\nUser-Agent: check\r\n");
    }

    @Test
    void clientsHangingUpInTheirFirstLineAreCountedAndSaidOnceNotWarnedAboutOneByOne() throws Exception {
        // Part of the request line: the connection is read by the selector that tells HTTP/1.0 apart.
        hangUpsAreCountedNotWarnedAbout("GET /observe/hea");
    }

    private static void hangUpsAreCountedNotWarnedAbout(String sent) throws Exception {
        Logger root = Logger.getLogger("");
        Captured captured = new Captured();
        root.addHandler(captured);
        try {
            long before = counted();
            for (int i = 0; i < CONNECTIONS; i++) {
                try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
                    s.getOutputStream().write(sent.getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                }
            }
            // Each hang-up ends up either counted or, as before, warned about.
            awaitCondition(() -> counted() - before
                            + captured.from("io.helidon", Level.WARNING).size() >= CONNECTIONS,
                    "the server has seen every connection end");
            List<LogRecord> warnings = captured.from("io.helidon", Level.WARNING);
            assertTrue(warnings.isEmpty(), warnings.size() + " warnings, the first: "
                    + (warnings.isEmpty() ? "" : warnings.getFirst().getMessage() + " " + warnings.getFirst().getThrown()));
            assertTrue(counted() - before >= CONNECTIONS, "counted on /observe/metrics");
            List<LogRecord> said = captured.from(IncompleteRequests.class.getName(), Level.ALL);
            assertTrue(said.size() <= 1, "at most one line a minute: " + said.size());
            said.forEach(r -> assertTrue(r.getMessage().contains("in the middle of a request's first line or headers"),
                    r.getMessage()));

            assertEquals(200, new ApiClient(SERVER.port()).get("/observe/health").statusCode(), "the server still answers");
        } finally {
            root.removeHandler(captured);
        }
    }
}
