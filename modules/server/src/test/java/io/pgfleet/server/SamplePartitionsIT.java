package io.pgfleet.server;

import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.service.RetentionSettings;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.SampleBatch;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static io.pgfleet.server.OpenStorage.column;
import static io.pgfleet.server.OpenStorage.execute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The samples table partitioned by day (migrations V26/V27) on real PostgreSQL: the migration keeps
 * every existing sample, days are created ahead and dropped whole past retention, samples whose
 * day has no partition are stored all the same, and no clock can make retention drop the day
 * being written.
 */
class SamplePartitionsIT {

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final RetentionSettings POLICY = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2),
            Duration.ofDays(7), 1000, Duration.ofHours(1));

    @RegisterExtension
    static final OpenStorage DB = new OpenStorage();

    @BeforeEach
    void empty() throws SQLException {
        execute(DB.database(), "TRUNCATE samples, sample_batches, collector_status, config_revisions, collectors CASCADE",
                "INSERT INTO collectors (id, name, created_at) VALUES ('c-1', 'db-01', now())");
    }

    @Test
    void theMigrationKeepsEverySampleAndPutsEachRecentDayInItsOwnPartition() throws SQLException {
        TestDatabase old = TestPostgres.newDatabaseAt("15");
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        List<Instant> times = List.of(now, now.minus(Duration.ofDays(3)), now.minus(Duration.ofDays(500)),
                Instant.parse("2999-06-01T00:00:00Z"), Instant.parse("1970-01-01T00:00:00Z"));
        execute(old, "INSERT INTO collectors (id, name, created_at) VALUES ('c-1', 'db-01', now())");
        try (Connection c = old.connect()) {
            for (int i = 0; i < times.size(); i++) {
                insert(c, "b-" + i, "pg_up", times.get(i), i);
            }
        }
        List<String> before = rows(old);

        TestPostgres.migrate(old, "latest");

        assertEquals(before, rows(old), "every sample is kept, unchanged");
        assertEquals(List.of(dayOf(now), dayOf(now.minus(Duration.ofDays(3))), "samples_default", "samples_default",
                        "samples_default"),
                column(old, "SELECT tableoid::regclass::text FROM samples ORDER BY value"),
                "recent days have their partitions; a year and more back and far ahead wait in the catch-all");
        assertEquals(List.of("false"), column(old, "SELECT (to_regclass('samples_unpartitioned') IS NOT NULL)::text"));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (int d = -1; d <= 7; d++) {
            String name = "samples_" + DAY.format(today.plusDays(d));
            assertEquals(List.of("true"), column(old, "SELECT (to_regclass('" + name + "') IS NOT NULL)::text"), name);
        }
    }

    @Test
    void aSampleWhoseDayHasNoPartitionIsStoredAndMovesIntoItsDayWhenTheDayIsCreated() throws SQLException {
        Instant future = Instant.now().plus(Duration.ofDays(40)).truncatedTo(ChronoUnit.MILLIS);
        Instant past = Instant.parse("1999-12-31T23:59:59Z");
        Receipt r = DB.storage().fleet().saveSampleBatch(new CollectorId("c-1"), new SampleBatch("skewed-clock", List.of(
                new Sample("node_load1", Map.of(), 1, future), new Sample("node_load1", Map.of(), 2, past))),
                Instant.now());
        assertInstanceOf(Receipt.Stored.class, r);
        assertEquals(List.of("samples_default", "samples_default"),
                column(DB.database(), "SELECT tableoid::regclass::text FROM samples ORDER BY value"));

        LocalDate day = LocalDate.ofInstant(future, ZoneOffset.UTC);
        assertEquals(1, DB.storage().samplePartitions().createDays(day, day));
        assertEquals(0, DB.storage().samplePartitions().createDays(day, day), "an existing day is left alone");

        assertEquals(List.of(dayOf(future), "samples_default"),
                column(DB.database(), "SELECT tableoid::regclass::text FROM samples ORDER BY value"));
        assertEquals(2, DB.storage().fleet().loadSamples(new CollectorId("c-1"), "node_load1", Instant.EPOCH,
                java.util.Optional.empty(), 10).samples().size());
        assertEquals(List.of(past, future), DB.storage().fleet().loadSamples(new CollectorId("c-1"), "", Instant.EPOCH,
                        java.util.Optional.empty(), 10).samples().stream().map(Sample::ts).toList(),
                "every metric of a collector, oldest first across the days");
        assertEquals(List.of(future), DB.storage().fleet().loadSamples(new CollectorId("c-1"), "", past.plusSeconds(1),
                        java.util.Optional.empty(), 1).samples().stream().map(Sample::ts).toList());
        execute(DB.database(), "SELECT 1 FROM samples"); // still readable as one table
        execute(DB.database(), "DROP TABLE " + dayOf(future));
    }

    @Test
    void daysPastRetentionAreDroppedWholeAndTheRestStays() throws SQLException {
        Instant now = Instant.now();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        DB.storage().samplePartitions().createDays(today.minusDays(20), today.minusDays(14));
        try (Connection c = DB.database().connect()) {
            insert(c, "a", "pg_up", now.minus(Duration.ofDays(20)), 1);
            insert(c, "b", "pg_up", now.minus(Duration.ofDays(16)), 2);
            insert(c, "c", "pg_up", now.minus(Duration.ofDays(10)), 3);
            insert(c, "d", "pg_up", now, 4);
        }

        PurgeExpiredDataUseCase.Purged purged = retention(Clock.fixed(now, ZoneOffset.UTC)).purgeExpired();

        assertEquals(2, purged.samples());
        assertEquals(List.of("3", "4"), column(DB.database(), "SELECT value FROM samples ORDER BY value"));
        assertFalse(exists(today.minusDays(20)));
        assertFalse(exists(today.minusDays(16)));
        assertTrue(exists(today.minusDays(14)), "a day that still holds samples within retention stays");
        assertTrue(exists(today.plusDays(7)), "the coming week exists");
        cleanUpOldDays(today);
    }

    @Test
    void aServerClockFarAheadNeverDropsTodayNorYesterday() throws SQLException {
        Instant now = Instant.now();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        try (Connection c = DB.database().connect()) {
            insert(c, "today", "pg_up", now, 1);
            insert(c, "yesterday", "pg_up", now.minus(Duration.ofDays(1)), 2);
        }

        retention(Clock.fixed(now.plus(Duration.ofDays(60)), ZoneOffset.UTC)).purgeExpired();

        assertEquals(List.of("1", "2"), column(DB.database(), "SELECT value FROM samples ORDER BY value"));
        assertTrue(exists(today));
        assertTrue(exists(today.minusDays(1)));
        assertTrue(exists(today.plusDays(1)), "days ahead are not past retention either");
    }

    private static PurgeExpiredDataUseCase retention(Clock clock) {
        return DB.purge(POLICY, clock);
    }

    private static boolean exists(LocalDate day) throws SQLException {
        return column(DB.database(), "SELECT (to_regclass('samples_" + DAY.format(day) + "') IS NOT NULL)::text").equals(List.of("true"));
    }

    private static void cleanUpOldDays(LocalDate today) throws SQLException {
        for (int d = 20; d >= 2; d--) {
            execute(DB.database(), "DROP TABLE IF EXISTS samples_" + DAY.format(today.minusDays(d)));
        }
    }

    private static String dayOf(Instant t) {
        return "samples_" + DAY.format(LocalDate.ofInstant(t, ZoneOffset.UTC));
    }

    private static void insert(Connection c, String batchId, String name, Instant ts, double value) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO samples (collector_id, batch_id, name, labels, value, ts)"
                + " VALUES ('c-1', ?, ?, '{\"datname\": \"app\"}', ?, ?)")) {
            p.setString(1, batchId);
            p.setString(2, name);
            p.setDouble(3, value);
            p.setTimestamp(4, Timestamp.from(ts));
            p.executeUpdate();
        }
    }

    private static List<String> rows(TestDatabase db) throws SQLException {
        return column(db, "SELECT concat_ws('|', collector_id, batch_id, name, labels::text, value, ts) FROM samples"
                + " ORDER BY value");
    }
}
