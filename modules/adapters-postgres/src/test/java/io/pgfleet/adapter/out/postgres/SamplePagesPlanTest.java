package io.pgfleet.adapter.out.postgres;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A page of samples reads a bounded part of the table, through the read-order indexes, however
 * many samples the collector has and however many share one time: the statements of
 * {@link SamplePages} under {@code EXPLAIN ANALYZE} on real PostgreSQL, on a table shaped like a
 * fleet's (collectors with tens of series a minute, one with 3,000 pg_stat_statements series a
 * run, pushed in batches of 1,000). What a plan reads is counted, not timed.
 */
class SamplePagesPlanTest {

    private static final String STATEMENTS = "pg_stat_statements_calls_total";
    private static final CollectorId HOT = new CollectorId("hot");
    private static final int LIMIT = 100;
    /** The indexes of migration V40, as each day's partition names its own. */
    private static final Set<String> READ_ORDER = Set.of("collector_id_ts_name_batch_id_idx",
            "collector_id_name_ts_batch_id_idx");

    private static TestDatabase db;
    private static PostgresStorage storage;
    /** The hot collector's runs: one instant each, 3,000 samples in three batches. */
    private static Instant firstRun;

    @BeforeAll
    static void fleet() throws SQLException {
        db = TestPostgres.newDatabase();
        // Within the days the migration created partitions for (yesterday to a week ahead).
        firstRun = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(10, ChronoUnit.HOURS);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT pgfleet_create_sample_partition((now() AT TIME ZONE 'UTC')::date - 1)");
            // 20 collectors, 40 series every 3 minutes for 12 hours, one batch a run.
            s.execute("""
                    INSERT INTO samples (collector_id, batch_id, name, labels, value, ts)
                    SELECT 'c-' || c, 'run-' || c || '-' || extract(epoch FROM t)::bigint, 'metric_' || (m %% 8),
                           jsonb_build_object('datname', 'db' || (m / 8)), random() * 1000, t
                    FROM generate_series(1, 20) c, generate_series(0, 39) m,
                         generate_series('%s'::timestamptz, '%s'::timestamptz + interval '12 hours' - interval '1 second',
                                         interval '3 minutes') t""".formatted(firstRun, firstRun));
            // The hot collector: 3,000 statements at each of 12 runs, 1,000 a batch.
            s.execute("""
                    INSERT INTO samples (collector_id, batch_id, name, labels, value, ts)
                    SELECT 'hot', 'hot-run-' || r || '-' || (q / 1000), '%s',
                           jsonb_build_object('datname', 'app', 'queryid', (1000000 + q)::text,
                                              'query', 'SELECT a FROM t' || q || ' WHERE id = $1'), q, t
                    FROM generate_series(0, 2999) q, generate_series(0, 11) r,
                         LATERAL (SELECT '%s'::timestamptz + r * interval '1 minute' AS t) run""".formatted(STATEMENTS,
                    firstRun));
            s.execute("ANALYZE samples");
        }
        storage = PostgresStorage.open(new DatabaseSettings(db.url(), db.user(), db.password(), 2));
    }

    @AfterAll
    static void close() {
        storage.close();
    }

    /** A position inside the hot collector's sixth run: in its second batch, 500 samples in. */
    private static SamplePosition insideARun() throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("""
                SELECT encode(sha256(convert_to(labels::text, 'UTF8')), 'hex') FROM samples
                WHERE collector_id = 'hot' AND ts = ? AND batch_id = ?
                ORDER BY sha256(convert_to(labels::text, 'UTF8')) OFFSET 500 LIMIT 1""")) {
            Instant run = firstRun.plus(5, ChronoUnit.MINUTES);
            ps.setObject(1, OffsetDateTime.ofInstant(run, java.time.ZoneOffset.UTC));
            ps.setString(2, "hot-run-5-1");
            try (ResultSet r = ps.executeQuery()) {
                assertTrue(r.next());
                return new SamplePosition(run, STATEMENTS, "hot-run-5-1", r.getString(1), 1);
            }
        }
    }

    /** What one page's plan read from the samples table. */
    private record Reads(long rows, Set<String> indexes, List<String> seqScans) {
    }

    private static Reads explain(String name, Instant since, Optional<SamplePosition> after) throws SQLException {
        String sql = "EXPLAIN (ANALYZE, FORMAT JSON) " + SamplePages.statement(!name.isEmpty(), after.isPresent());
        Object[] params = SamplePages.parameters(HOT, name, since, after, LIMIT);
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet r = ps.executeQuery(); JsonReader reader = Json.createReader(new StringReader(
                    r.next() ? r.getString(1) : "[]"))) {
                JsonArray plans = reader.readArray();
                Reads reads = new Reads(0, new HashSet<>(), new ArrayList<>());
                return walk(plans.getJsonObject(0).getJsonObject("Plan"), reads);
            }
        }
    }

    private static Reads walk(JsonObject node, Reads reads) {
        String type = node.getString("Node Type");
        long rows = reads.rows();
        if (node.containsKey("Relation Name")) {
            long loops = node.getJsonNumber("Actual Loops").longValue();
            rows += (node.getJsonNumber("Actual Rows").longValue()
                    + (node.containsKey("Rows Removed by Filter") ? node.getJsonNumber("Rows Removed by Filter").longValue() : 0))
                    * loops;
            if (type.startsWith("Seq Scan") && node.getJsonNumber("Actual Rows").longValue() > 0) {
                reads.seqScans().add(node.getString("Relation Name"));
            }
            if (node.containsKey("Index Name")) {
                reads.indexes().add(node.getString("Index Name").replaceFirst("^samples_[0-9a-z]+?_collector", "collector"));
            }
        }
        Reads out = new Reads(rows, reads.indexes(), reads.seqScans());
        for (JsonValue child : node.getOrDefault("Plans", JsonValue.EMPTY_JSON_ARRAY).asJsonArray()) {
            out = walk(child.asJsonObject(), out);
        }
        return out;
    }

    @Test
    void aPageInsideOneInstantOfThousandsReadsAtMostItsLimitAndOneBatchOfThem() throws SQLException {
        SamplePosition inside = insideARun();
        for (String name : List.of("", STATEMENTS)) {
            Reads reads = explain(name, Instant.EPOCH, Optional.of(inside));
            // The position's batch (1,000) for the samples equal to it, and again for those after
            // it, which hold the page: not the run's 3,000 (twice), nor the collector's 36,000.
            assertTrue(reads.rows() <= 2 * 1000 + LIMIT + 1, "name '" + name + "': " + reads);
            assertEquals(List.of(), reads.seqScans(), "name '" + name + "'");
            assertTrue(reads.indexes().contains(name.isEmpty() ? "collector_id_ts_name_batch_id_idx"
                    : "collector_id_name_ts_batch_id_idx"), "name '" + name + "': " + reads);
            assertTrue(READ_ORDER.containsAll(reads.indexes()), "name '" + name + "': " + reads);
        }
    }

    @Test
    void aFirstPageReadsAtMostItsLimitAndOneBatchOfAnInstant() throws SQLException {
        for (String name : List.of("", STATEMENTS)) {
            for (Instant since : List.of(Instant.EPOCH, firstRun.plus(7, ChronoUnit.MINUTES))) {
                Reads reads = explain(name, since, Optional.empty());
                assertTrue(reads.rows() <= 1000 + LIMIT + 1, "name '" + name + "' since " + since + ": " + reads);
                assertEquals(List.of(), reads.seqScans());
                assertFalse(reads.indexes().isEmpty());
                assertTrue(READ_ORDER.containsAll(reads.indexes()), reads.toString());
            }
        }
    }

    @Test
    void pagesGoThroughAnInstantOfThousandsEachSampleOnce() {
        Instant run = firstRun.plus(3, ChronoUnit.MINUTES);
        Set<String> seen = new HashSet<>();
        Optional<SamplePosition> after = Optional.empty();
        int pages = 0;
        while (seen.size() < 3000 && pages < 10) {
            SamplePage page = storage.fleet().loadSamples(HOT, STATEMENTS, run, after, 700);
            page.samples().stream().filter(s -> s.ts().equals(run))
                    .forEach(s -> assertTrue(seen.add(s.labels().get("queryid")), s.toString()));
            after = page.last();
            pages++;
        }
        assertEquals(3000, seen.size(), pages + " pages");
        assertEquals(5, pages, "3,000 in pages of 700");
    }
}
