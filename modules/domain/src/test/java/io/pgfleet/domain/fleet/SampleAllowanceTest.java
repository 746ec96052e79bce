package io.pgfleet.domain.fleet;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleAllowanceTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    /** One sample a second, bursts of 5,000. */
    private static final SampleRate RATE = new SampleRate(60, 5000);

    @Test
    void aFullAllowanceGrantsTheBurstThenRefusesSayingHowLongToWait() {
        SampleAllowance a = SampleAllowance.full(RATE, T0);
        SampleAllowance.Take first = a.take(3000, RATE, T0);
        SampleAllowance.Take second = first.left().take(2000, RATE, T0);
        assertInstanceOf(SampleAllowance.Granted.class, second);
        assertEquals(0, second.left().samples(), 1e-9);

        SampleAllowance.Take third = second.left().take(1000, RATE, T0.plusSeconds(10));
        SampleAllowance.Refused refused = assertInstanceOf(SampleAllowance.Refused.class, third);
        // 10 refilled in 10 s; 990 more at one a second.
        assertEquals(Duration.ofSeconds(990), refused.retryAfter());
        assertEquals(10, refused.left().samples(), 1e-9, "a refused take uses nothing");
        assertInstanceOf(SampleAllowance.Granted.class, refused.left().take(1000, RATE, T0.plusSeconds(1000)),
                "granted once the wait is over");
    }

    @Test
    void theAllowanceRefillsAtTheRateUpToTheBurstOnly() {
        SampleAllowance empty = new SampleAllowance(0, T0);
        assertEquals(30, empty.at(RATE, T0.plusSeconds(30)).samples(), 1e-9);
        assertEquals(5000, empty.at(RATE, T0.plus(Duration.ofDays(3))).samples(), 1e-9);
        assertTrue(empty.fullAt(RATE, T0.plusSeconds(5000)));
        assertTrue(!empty.fullAt(RATE, T0.plusSeconds(4999)));
    }

    @Test
    void aClockGoingBackRefillsNothingAndTheWaitIsAtLeastASecond() {
        SampleAllowance a = new SampleAllowance(100, T0);
        assertEquals(100, a.at(RATE, T0.minusSeconds(3600)).samples(), 1e-9);
        SampleAllowance.Refused r = assertInstanceOf(SampleAllowance.Refused.class,
                new SampleAllowance(99.5, T0).take(100, RATE, T0));
        assertEquals(Duration.ofSeconds(1), r.retryAfter());
    }

    @Test
    void whatIsGivenBackIsTakenAgainButNeverBeyondTheBurst() {
        SampleAllowance a = new SampleAllowance(4000, T0);
        assertEquals(5000, a.giveBack(3000, RATE, T0).samples(), 1e-9);
        assertEquals(3500, new SampleAllowance(500, T0).giveBack(3000, RATE, T0).samples(), 1e-9);
    }

    @Test
    void aBurstSmallerThanTheLargestBatchOrANonPositiveRateIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SampleRate(60, SampleBatch.MAX_SAMPLES - 1));
        assertThrows(IllegalArgumentException.class, () -> new SampleRate(0, 30_000));
        assertEquals(1, SampleRate.cost(0), "an empty batch still stores its id");
        assertEquals(1000, SampleRate.cost(1000));
    }

    @Test
    void theDefaultsTakeAnAgentsWholeDefaultBufferAtOnceAndAHundredTimesItsSteadyRate() {
        SampleRate d = SampleRate.defaults();
        // The agent's buffer holds 20,000 samples by default; replayed in batches of 1,000, each
        // carrying the agent's drop counter besides 999 buffered samples.
        SampleAllowance a = SampleAllowance.full(d, T0);
        for (int i = 0; i < 21; i++) {
            SampleAllowance.Take t = a.take(1000, d, T0);
            a = assertInstanceOf(SampleAllowance.Granted.class, t, "batch " + i).left();
        }
        assertTrue(d.perMinute() >= 100 * 55, "an agent at default intervals with one database sends about 55 a minute");
    }

    @Test
    void aBatchCountsItsDistinctSeriesUpToOnePastTheBound() {
        List<Sample> same = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            same.add(new Sample("pg_up", Map.of("datname", "app"), i, T0.plusSeconds(i)));
        }
        assertEquals(1, new SampleBatch("batch-0001", same).series());
        List<Sample> distinct = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            distinct.add(new Sample("pg_up", Map.of("datname", "db" + i), i, T0));
        }
        assertEquals(SampleBatch.MAX_SERIES + 1, new SampleBatch("batch-0002", distinct).series());
        assertEquals(SampleBatch.MAX_SERIES, new SampleBatch("batch-0003", distinct.subList(0, SampleBatch.MAX_SERIES))
                .series());
        // Labels in another order are the same series.
        assertEquals(1, new SampleBatch("batch-0004", List.of(
                new Sample("m", Map.of("a", "1", "b", "2"), 1, T0),
                new Sample("m", new java.util.LinkedHashMap<>(Map.of("b", "2", "a", "1")), 2, T0))).series());
    }

    @Test
    void anUnreadBatchCostsOneSamplePerFiftyTwoBytesUpToAWholeBatch() {
        assertEquals(1, SampleRate.unreadCost(0));
        assertEquals(1, SampleRate.unreadCost(52));
        assertEquals(2, SampleRate.unreadCost(53));
        assertEquals(SampleBatch.MAX_SAMPLES, SampleRate.unreadCost(256 * 1024 + 1));
    }
}
