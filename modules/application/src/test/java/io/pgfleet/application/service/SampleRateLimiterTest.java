package io.pgfleet.application.service;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.SampleRate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleRateLimiterTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final SampleRate RATE = new SampleRate(600, 5000);
    private static final CollectorId A = CollectorId.of("db-01");
    private static final CollectorId B = CollectorId.of("db-02");

    @Test
    void oneCollectorsFloodIsRefusedWhileAnotherKeepsItsWholeAllowance() {
        SampleRateLimiter limiter = new SampleRateLimiter(RATE);
        assertEquals(Optional.empty(), limiter.take(A, 5000, T0));
        // Ten a second: 1,000 more after 100 s.
        assertEquals(Optional.of(Duration.ofSeconds(100)), limiter.take(A, 1000, T0));
        assertEquals(Optional.empty(), limiter.take(B, 5000, T0), "another collector is not slowed by A");
        assertEquals(Optional.empty(), limiter.take(A, 1000, T0.plusSeconds(100)));
        assertTrue(limiter.take(A, 1, T0.plusSeconds(100)).isPresent());
    }

    @Test
    void whatIsGivenBackCanBeTakenAgain() {
        SampleRateLimiter limiter = new SampleRateLimiter(RATE);
        assertEquals(Optional.empty(), limiter.take(A, 5000, T0));
        limiter.giveBack(A, 5000, T0);
        assertEquals(Optional.empty(), limiter.take(A, 5000, T0));
    }

    @Test
    void memoryIsBoundedAndOnlyForgettingRefilledAllowancesFirst() {
        SampleRateLimiter limiter = new SampleRateLimiter(RATE, 100);
        assertEquals(Optional.empty(), limiter.take(A, 5000, T0));
        // 99 collectors each taking one sample fill the map; a second later they have refilled, A has not.
        for (int i = 0; i < 99; i++) {
            limiter.take(CollectorId.of("c-" + i), 1, T0);
        }
        assertEquals(100, limiter.tracked());
        for (int i = 99; i < 200; i++) {
            limiter.take(CollectorId.of("c-" + i), 1, T0.plusSeconds(1));
        }
        assertTrue(limiter.tracked() <= 100, "tracked: " + limiter.tracked());
        // A is empty and stays remembered: a flood is not forgiven by others coming and going.
        assertTrue(limiter.take(A, 1000, T0.plusSeconds(2)).isPresent());
    }
}
