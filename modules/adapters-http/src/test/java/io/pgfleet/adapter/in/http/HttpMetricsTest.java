package io.pgfleet.adapter.in.http;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgfleet.domain.fleet.FleetCounts;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fleet gauges are a snapshot: scrapes read the fleet from the database at most once per period. */
class HttpMetricsTest {

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        private Instant now = Instant.parse("2026-11-30T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MovableClock clock = new MovableClock();
    private final HttpMetrics metrics = new HttpMetrics(registry, names -> "", clock, HttpMetrics.FLEET_SNAPSHOT_MAX_AGE);
    private final AtomicInteger reads = new AtomicInteger();
    private final Supplier<FleetCounts> fleet = () -> {
        reads.incrementAndGet();
        return new FleetCounts(0, 0, 0, 0, 0, 0, 0, 0, 0);
    };

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    @Test
    void scrapesWithinThePeriodDoNotReadTheFleetAgain() {
        assertEquals(-1, gauge("pgfleet_fleet_snapshot_age_seconds"));
        for (int i = 0; i < 100; i++) {
            metrics.scrape(fleet);
        }
        assertEquals(1, reads.get(), "a hundred scrapes in a row read the fleet once");
        clock.advance(HttpMetrics.FLEET_SNAPSHOT_MAX_AGE.minusSeconds(1));
        metrics.scrape(fleet);
        assertEquals(1, reads.get());
        assertEquals(HttpMetrics.FLEET_SNAPSHOT_MAX_AGE.toSeconds() - 1, gauge("pgfleet_fleet_snapshot_age_seconds"));
        clock.advance(Duration.ofSeconds(1));
        metrics.scrape(fleet);
        assertEquals(2, reads.get(), "a snapshot as old as the period is read again");
        assertEquals(0, gauge("pgfleet_fleet_snapshot_age_seconds"));
    }

    @Test
    void aDatabaseThatDoesNotAnswerIsNotAskedAtEveryScrapeEither() {
        Supplier<FleetCounts> away = () -> {
            reads.incrementAndGet();
            throw new IllegalStateException("database unavailable");
        };
        metrics.scrape(away);
        metrics.scrape(away);
        assertEquals(1, reads.get());
        assertEquals(0, gauge("pgfleet_fleet_query_up"));
        assertEquals(-1, gauge("pgfleet_fleet_snapshot_age_seconds"), "no successful read yet");
        clock.advance(HttpMetrics.FLEET_SNAPSHOT_MAX_AGE);
        metrics.scrape(fleet);
        assertEquals(2, reads.get());
        assertEquals(1, gauge("pgfleet_fleet_query_up"));
    }

    @Test
    void aClockSteppedBackDoesNotFreezeTheGauges() {
        metrics.scrape(fleet);
        clock.advance(Duration.ofHours(-1));
        metrics.scrape(fleet);
        assertEquals(2, reads.get());
    }
}
