package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A warning repeated by every request of an outage is said once a minute with the count of the rest. */
class ThrottledWarningTest {

    @Test
    void anHourOfRepeatsIsSixtyLinesEachWithItsErrorAndTheCountOfTheRestNoneLost() {
        String name = "io.pgfleet.http.throttled-test-" + java.util.UUID.randomUUID();
        Logger jul = Logger.getLogger(name);
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        jul.setUseParentHandlers(false);
        jul.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        AtomicLong now = new AtomicLong();
        ThrottledWarning w = new ThrottledWarning(System.getLogger(name), Duration.ofMinutes(1), now::get);
        RuntimeException cause = new IllegalStateException("connection refused");
        int answers = 0;
        // An hour of 503 answers, 20 a second.
        for (long ms = 0; ms < 3_600_000; ms += 50) {
            now.set(ms * 1_000_000);
            w.warn("storage unavailable for POST /api/v1/metrics/push", cause);
            answers++;
        }
        assertEquals(60, records.size(), "one line a minute");
        assertTrue(records.stream().allMatch(r -> r.getThrown() == cause), "each with its stack trace");
        assertEquals("storage unavailable for POST /api/v1/metrics/push", records.get(0).getMessage(),
                "the first is said at once, as it is");
        long counted = records.size();
        for (LogRecord r : records.subList(1, records.size())) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("and (\\d+) more like it").matcher(r.getMessage());
            assertTrue(m.find(), r.getMessage());
            counted += Long.parseLong(m.group(1));
        }
        // The last minute's repeats are said with the next line (none here): all but those are accounted for.
        assertEquals(answers - 1199, counted);
    }
}
