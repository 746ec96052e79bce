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
        assertEquals(3, fleet.samples(DB1, "pg_up", Given.T0, 100).orElseThrow().size());
    }

    @Test
    void aBatchWithASampleTooFarAheadOfTheServersClockStoresNothing() {
        SampleBatch late = new SampleBatch("batch-0002", List.of(
                new Sample("pg_up", Map.of(), 1, Given.T0),
                new Sample("pg_up", Map.of(), 1, Given.T0.plus(SampleBatch.MAX_AHEAD).plusSeconds(1))));
        assertEquals(new Receipt.TooFarAhead(Given.T0.plus(SampleBatch.MAX_AHEAD).plusSeconds(1), Given.T0),
                fleet.push(DB1, late));
        assertEquals(List.of(), fleet.samples(DB1, "pg_up", Given.T0.minusSeconds(60), 100).orElseThrow());
        SampleBatch justInTime = new SampleBatch("batch-0003", List.of(
                new Sample("pg_up", Map.of(), 1, Given.T0.plus(SampleBatch.MAX_AHEAD))));
        assertEquals(new Receipt.Stored(1), fleet.push(DB1, justInTime), "a clock a little ahead is accepted");
    }

    @Test
    void samplesOfAnUnknownCollectorAreNotAnEmptyList() {
        assertTrue(fleet.samples(CollectorId.of("nobody"), "pg_up", Given.T0, 10).isEmpty());
        assertEquals(List.of(), fleet.samples(DB2, "pg_up", Given.T0, 10).orElseThrow());
    }

    @Test
    void refusesSamplePagesOutsideTheLimits() {
        assertThrows(IllegalArgumentException.class, () -> fleet.samples(DB1, "pg_up", Given.T0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> fleet.samples(DB1, "pg_up", Given.T0, FleetQuery.MAX_SAMPLES + 1));
    }
}
