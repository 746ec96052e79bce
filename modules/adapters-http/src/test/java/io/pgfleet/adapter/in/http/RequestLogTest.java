package io.pgfleet.adapter.in.http;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The request log line, in both formats (PGFLEET_LOG_FORMAT=json or not), and its writer. */
class RequestLogTest {

    @Test
    void jsonLinesAreOneObjectWithEveryField() {
        String line = new RequestLog(true).line("PUT", "/api/v1/config/{id}", 412, 2_500, "ops\"lead", "trace-1");
        JsonObject o = Json.createReader(new StringReader(line)).readObject();
        assertEquals("request", o.getString("event"));
        assertEquals("PUT", o.getString("method"));
        assertEquals("/api/v1/config/{id}", o.getString("route"));
        assertEquals(412, o.getInt("status"));
        assertEquals(2.5, o.getJsonNumber("duration_ms").doubleValue());
        assertEquals("ops\"lead", o.getString("principal"));
        assertEquals("trace-1", o.getString("request_id"));
    }

    @Test
    void textLinesReadAsWords() {
        assertEquals("GET /api/v1/collectors 200 1.25 ms principal=admin request_id=r-2",
                new RequestLog(false).line("GET", "/api/v1/collectors", 200, 1_250, "admin", "r-2"));
    }

    @Test
    void madeUpIdsAreRandomVersionFourUuids() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = RequestLog.newId();
            java.util.UUID parsed = java.util.UUID.fromString(id);
            assertEquals(4, parsed.version(), id);
            assertEquals(2, parsed.variant(), id);
            assertEquals(36, id.length(), id);
            seen.add(id);
        }
        assertEquals(1000, seen.size());
    }

    @Test
    void aStalledLogHandlerDoesNotHoldUpRequestsAndLinesBeyondTheBoundAreCounted() throws Exception {
        String name = "io.pgfleet.http.requests.test-" + java.util.UUID.randomUUID();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(name);
        java.util.List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        jul.setUseParentHandlers(false);
        jul.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                entered.countDown();
                try {
                    // A log reader that stopped reading: the handler's write does not return.
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        RequestLog.Writer writer = new RequestLog.Writer(System.getLogger(name), 4);
        assertTrue(writer.offer("line 1"));
        assertTrue(entered.await(10, java.util.concurrent.TimeUnit.SECONDS), "the writer never reached the handler");
        // The handler is stuck on line 1; the caller is not: four lines wait, the fifth is dropped.
        for (int i = 2; i <= 5; i++) {
            assertTrue(writer.offer("line " + i), "line " + i);
        }
        assertFalse(writer.offer("line 6"));
        release.countDown();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (records.size() < 6) {
            assertTrue(System.nanoTime() < deadline, "lines logged: " + records.size());
            Thread.sleep(10);
        }
        // Every line that was accepted is logged, in order; the dropped one is counted once it caught up.
        assertEquals(java.util.List.of("line 1", "line 2", "line 3", "line 4", "line 5"), records.stream()
                .filter(r -> r.getLevel() == java.util.logging.Level.INFO).map(java.util.logging.LogRecord::getMessage).toList());
        java.util.List<String> warnings = records.stream().filter(r -> r.getLevel() == java.util.logging.Level.WARNING)
                .map(java.util.logging.LogRecord::getMessage).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        // Every record names the writer as its source, as operators' log formats show it.
        assertEquals(java.util.Set.of(RequestLog.Writer.class.getName() + ".write"), records.stream()
                .map(r -> r.getSourceClassName() + "." + r.getSourceMethodName()).collect(java.util.stream.Collectors.toSet()));
        assertTrue(warnings.get(0).startsWith("1 request log line(s) dropped"), warnings.get(0));
    }

    @Test
    void aBurstOfLinesIsWrittenOnceItIsOver() throws Exception {
        String name = "io.pgfleet.test.burst." + System.nanoTime();
        java.util.List<Long> publishedAt = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        onRecords(name, () -> publishedAt.add(System.nanoTime()), () -> { });
        // Steps long enough that the 1 ms pauses between the burst's lines never look like its end.
        RequestLog.Writer writer = new RequestLog.Writer(System.getLogger(name), 1000,
                java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(10));
        int lines = 30;
        for (int i = 0; i < lines; i++) {
            assertTrue(writer.offer("line " + i));
            Thread.sleep(1);
        }
        long burstEnded = System.nanoTime();
        long deadline = burstEnded + 10_000_000_000L;
        while (publishedAt.size() < lines) {
            assertTrue(System.nanoTime() < deadline, "lines logged: " + publishedAt.size());
            Thread.sleep(10);
        }
        // Nothing was formatted or written while the requests were still being answered.
        assertTrue(publishedAt.get(0) >= burstEnded, "the first line was written "
                + (burstEnded - publishedAt.get(0)) / 1_000_000 + " ms before the burst ended");
    }

    /** A handler that notes each record it is handed ("publish") and each flush ("flush"), in order. */
    private static java.util.List<String> recordEvents(String loggerName) {
        java.util.List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        onRecords(loggerName, () -> events.add("publish"), () -> events.add("flush"));
        return events;
    }

    /** Gives the logger (kept for the test's run) only a handler that runs the callbacks. */
    private static void onRecords(String loggerName, Runnable published, Runnable flushed) {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(loggerName);
        jul.setUseParentHandlers(false);
        jul.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                published.run();
            }

            @Override
            public void flush() {
                flushed.run();
            }

            @Override
            public void close() {
            }
        });
        KEEP.add(jul);
    }

    /** java.util.logging keeps loggers weakly: the tests' own loggers stay configured while they run. */
    private static final java.util.List<java.util.logging.Logger> KEEP = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Test
    void theHandlersAreFlushedOnceAfterEachBatchSoABurstCanBeWrittenAtOnce() throws Exception {
        String name = "io.pgfleet.test.flush." + System.nanoTime();
        java.util.List<String> events = recordEvents(name);
        RequestLog.Writer writer = new RequestLog.Writer(System.getLogger(name), 1000,
                java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(10));
        int lines = 30;
        for (int i = 0; i < lines; i++) {
            assertTrue(writer.offer("line " + i));
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!events.contains("flush")) {
            assertTrue(System.nanoTime() < deadline, "the handlers were never flushed; events: " + events);
            Thread.sleep(10);
        }
        java.util.List<String> expected = new java.util.ArrayList<>(java.util.Collections.nCopies(lines, "publish"));
        expected.add("flush");
        assertEquals(expected, java.util.List.copyOf(events));
    }

    @Test
    void aStopWritesTheWaitingLinesWithoutWaitingForTheBurstToEnd() throws Exception {
        String name = "io.pgfleet.test.drain." + System.nanoTime();
        java.util.List<String> events = recordEvents(name);
        // A burst that would otherwise be waited for a minute.
        RequestLog.Writer writer = new RequestLog.Writer(System.getLogger(name), 1000,
                java.time.Duration.ofSeconds(30), java.time.Duration.ofMinutes(1));
        for (int i = 0; i < 5; i++) {
            assertTrue(writer.offer("line " + i));
        }
        assertTrue(writer.drain(java.time.Duration.ofSeconds(20)));
        assertEquals(java.util.List.of("publish", "publish", "publish", "publish", "publish", "flush"),
                java.util.List.copyOf(events));
    }
}
