package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.fake.InMemoryFleetStore;
import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.SampleBatch;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FleetServiceTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");
    private static final CollectorId DB2 = CollectorId.of("db-02");

    private final InMemoryConfigStore collectors = new InMemoryConfigStore()
            .with(Given.collector("db-01")).with(Given.collector("db-02"));
    private final InMemoryFleetStore store = new InMemoryFleetStore(collectors);
    private final FleetService fleet = new FleetService(store, store, store, store, collectors, Clock.fixed(Given.T0, ZoneOffset.UTC));

    private static SampleBatch batch(String id, int samples) {
        return new SampleBatch(id, java.util.stream.IntStream.range(0, samples)
                .mapToObj(i -> new Sample("pg_up", Map.of(), 1, Given.T0.plusSeconds(i))).toList());
    }

    @Test
    void storesAReportStampedWithTheServerTime() {
        assertInstanceOf(Receipt.Stored.class, fleet.report(DB1, 3, ApplyStatus.APPLIED, "", "ab".repeat(32)));
        assertEquals(Given.T0, store.reports().getFirst().reportedAt());
        assertEquals(3, store.reports().getFirst().version());
    }

    @Test
    void aReportKeepsTheAgentsVersionAndRefusesAMalformedOne() {
        assertInstanceOf(Receipt.Stored.class,
                fleet.report(DB1, 1, ApplyStatus.APPLIED, "", "ab".repeat(32), Optional.empty(), "0.1.0-SNAPSHOT"));
        assertEquals("0.1.0-SNAPSHOT", store.reports().getFirst().agentVersion());
        assertInstanceOf(Receipt.Stored.class, fleet.report(DB1, 2, ApplyStatus.APPLIED, "", "ab".repeat(32)));
        assertEquals("", store.reports().get(1).agentVersion(), "an agent older than the field: unknown");
        assertThrows(IllegalArgumentException.class,
                () -> fleet.report(DB1, 3, ApplyStatus.APPLIED, "", "ab".repeat(32), Optional.empty(), "1".repeat(65)));
        assertThrows(IllegalArgumentException.class,
                () -> fleet.report(DB1, 3, ApplyStatus.APPLIED, "", "ab".repeat(32), Optional.empty(), "1.0\n<b>"));
        assertEquals(2, store.reports().size());
    }

    @Test
    void aReportOfAnUnknownCollectorStoresNothing() {
        assertInstanceOf(Receipt.CollectorNotFound.class,
                fleet.report(CollectorId.of("nobody"), 1, ApplyStatus.APPLIED, "", "ab".repeat(32)));
        assertTrue(store.reports().isEmpty());
    }

    @Test
    void aBatchIsStoredOncePerCollector() {
        assertEquals(new Receipt.Stored(3), fleet.push(DB1, batch("batch-0001", 3)));
        assertInstanceOf(Receipt.Duplicate.class, fleet.push(DB1, batch("batch-0001", 3)));
        // The same id from another collector is a different batch.
        assertEquals(new Receipt.Stored(2), fleet.push(DB2, batch("batch-0001", 2)));
        assertEquals(3, fleet.samples(DB1, "pg_up", Given.T0, Optional.empty(), 100).orElseThrow().samples().size());
    }

    @Test
    void aBatchWithASampleTooFarAheadOfTheServersClockStoresNothing() {
        SampleBatch late = new SampleBatch("batch-0002", List.of(
                new Sample("pg_up", Map.of(), 1, Given.T0),
                new Sample("pg_up", Map.of(), 1, Given.T0.plus(SampleBatch.MAX_AHEAD).plusSeconds(1))));
        assertEquals(new Receipt.TooFarAhead(Given.T0.plus(SampleBatch.MAX_AHEAD).plusSeconds(1), Given.T0),
                fleet.push(DB1, late));
        assertEquals(List.of(), fleet.samples(DB1, "pg_up", Given.T0.minusSeconds(60), Optional.empty(), 100).orElseThrow()
                .samples());
        SampleBatch justInTime = new SampleBatch("batch-0003", List.of(
                new Sample("pg_up", Map.of(), 1, Given.T0.plus(SampleBatch.MAX_AHEAD))));
        assertEquals(new Receipt.Stored(1), fleet.push(DB1, justInTime), "a clock a little ahead is accepted");
    }

    @Test
    void samplesOfAnUnknownCollectorAreNotAnEmptyList() {
        assertTrue(fleet.samples(CollectorId.of("nobody"), "pg_up", Given.T0, Optional.empty(), 10).isEmpty());
        assertEquals(List.of(), fleet.samples(DB2, "pg_up", Given.T0, Optional.empty(), 10).orElseThrow().samples());
    }

    @Test
    void refusesSamplePagesOutsideTheLimits() {
        assertThrows(IllegalArgumentException.class, () -> fleet.samples(DB1, "pg_up", Given.T0, Optional.empty(), 0));
        assertThrows(IllegalArgumentException.class,
                () -> fleet.samples(DB1, "pg_up", Given.T0, Optional.empty(), FleetQuery.MAX_SAMPLES + 1));
    }

    @Test
    void aReadOfOneMetricGoesOnOnlyAfterASampleOfThatMetric() {
        fleet.push(DB1, batch("batch-0001", 3));
        io.pgfleet.domain.fleet.SamplePage first = fleet.samples(DB1, "", Given.T0, Optional.empty(), 1).orElseThrow();
        io.pgfleet.domain.fleet.SamplePosition up = first.last().orElseThrow();
        assertTrue(first.more());
        assertEquals(2, fleet.samples(DB1, "pg_up", Given.T0, Optional.of(up), 10).orElseThrow().samples().size());
        io.pgfleet.domain.fleet.SamplePosition other = new io.pgfleet.domain.fleet.SamplePosition(up.ts(), "pg_zzz",
                up.batchId(), up.labelsDigest(), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fleet.samples(DB1, "pg_up", Given.T0, Optional.of(other), 10));
        assertTrue(e.getMessage().contains("'pg_zzz'"), e.getMessage());
        assertEquals(2, fleet.samples(DB1, "", Given.T0, Optional.of(other), 10).orElseThrow().samples().size(),
                "a read of every metric goes on after any metric's position");
    }

    @Test
    void aBatchBeyondTheCollectorsSampleRateStoresNothingAndADuplicateCostsNothing() {
        java.time.Instant[] now = {Given.T0};
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                return now[0];
            }
        };
        FleetService limited = new FleetService(store, store, store, store, collectors, clock,
                new SampleRateLimiter(new io.pgfleet.domain.fleet.SampleRate(60, 5000)));
        assertEquals(new Receipt.Stored(2000), limited.push(DB1, batch("batch-0010", 2000)));
        // Retried after a lost answer: a duplicate, which uses none of the allowance.
        assertInstanceOf(Receipt.Duplicate.class, limited.push(DB1, batch("batch-0010", 2000)));
        assertEquals(new Receipt.Stored(3000), limited.push(DB1, batch("batch-0011", 3000)));
        Receipt.RateExceeded refused = assertInstanceOf(Receipt.RateExceeded.class,
                limited.push(DB1, batch("batch-0012", 100)));
        assertEquals(java.time.Duration.ofSeconds(100), refused.retryAfter());
        assertEquals(5000, store.loadSamples(DB1, "pg_up", Given.T0, Optional.empty(), 10_000).samples().size(), "nothing of the refused batch");
        assertEquals(new Receipt.Stored(100), limited.push(DB2, batch("batch-0012", 100)), "another collector");

        now[0] = Given.T0.plusSeconds(100);
        assertEquals(new Receipt.Stored(100), limited.push(DB1, batch("batch-0012", 100)), "the same batch, later");
    }

    @Test
    void aBatchNamingMoreSeriesThanTheBoundStoresNothing() {
        SampleBatch wide = new SampleBatch("batch-0020", java.util.stream.IntStream.range(0, SampleBatch.MAX_SERIES + 1)
                .mapToObj(i -> new Sample("pg_up", Map.of("db", "d" + i), 1, Given.T0)).toList());
        assertEquals(new Receipt.TooManySeries(SampleBatch.MAX_SERIES + 1), fleet.push(DB1, wide));
        assertTrue(store.loadSamples(DB1, "pg_up", Given.T0, Optional.empty(), 10_000).samples().isEmpty());
        assertInstanceOf(Receipt.Stored.class, fleet.push(DB1, new SampleBatch("batch-0021",
                wide.samples().subList(0, SampleBatch.MAX_SERIES))));
    }
}
