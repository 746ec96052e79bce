package io.pgfleet.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A task ticking every second while the database is away for an hour: what its log holds.
 */
class FailureStreakLogTest {

    /** One line as logged: its level, text and whether it carried a stack trace. */
    record Line(System.Logger.Level level, String text, Throwable error) { }

    /** Keeps what is logged. */
    static final class Lines implements System.Logger {
        final List<Line> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(new Line(level, msg, thrown));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(new Line(level, format, null));
        }
    }

    private final Lines log = new Lines();
    private final AtomicLong now = new AtomicLong();
    private final FailureStreakLog streak = new FailureStreakLog(log, "driving rollouts", Duration.ofMinutes(1), now::get);

    @Test
    void anHourOfFailuresEverySecondWritesOneStackTraceAndALinePerMinute() {
        for (int tick = 0; tick < 3600; tick++) {
            streak.failed(new IllegalStateException("database unavailable"));
            now.addAndGet(Duration.ofSeconds(1).toNanos());
        }

        assertEquals(60, log.lines.size(), "the first failure and one line per minute after it");
        Line first = log.lines.getFirst();
        assertEquals(System.Logger.Level.WARNING, first.level());
        assertNotNull(first.error(), "the first failure of a streak keeps its stack trace");
        assertTrue(first.text().contains("driving rollouts failed: database unavailable"), first.text());
        Line later = log.lines.get(1);
        assertNull(later.error(), "repeats are one line each");
        assertTrue(later.text().contains("still failing after 60 s (60 more failures since the last line, 61 in all)"),
                later.text());
    }

    @Test
    void theFirstSuccessAfterAStreakSaysHowLongItLastedAndTheNextFailureIsLoggedInFullAgain() {
        streak.failed(new IllegalStateException("database unavailable"));
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        streak.failed(new IllegalStateException("database unavailable"));
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        streak.succeeded();
        streak.succeeded();
        streak.failed(new IllegalStateException("connection reset"));

        assertEquals(3, log.lines.size(), log.lines.toString());
        assertEquals(System.Logger.Level.INFO, log.lines.get(1).level());
        assertTrue(log.lines.get(1).text().contains("works again after 35 s and 2 failures"), log.lines.get(1).text());
        assertNotNull(log.lines.get(2).error(), "a new streak starts with a stack trace");
        assertTrue(log.lines.get(2).text().contains("connection reset"));
    }

    @Test
    void successesWithoutAFailureSayNothing() {
        for (int tick = 0; tick < 100; tick++) {
            streak.succeeded();
        }
        assertEquals(List.of(), log.lines);
    }
}
