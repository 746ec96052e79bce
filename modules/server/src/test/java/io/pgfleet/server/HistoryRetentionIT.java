package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.PostgresStorage;
import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.service.RetentionSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * History retention over real HTTP and PostgreSQL: the versions of a configuration beyond the
 * newest ones kept go, oldest first, and what stays still reads, diffs and rolls back; audit
 * entries past their retention go; outside the purge, versions and audit entries stay immutable.
 * The purge runs as a second server instance would, on its own storage against the same database.
 */
class HistoryRetentionIT {

    private static final AtomicInteger IDS = new AtomicInteger();
    /** The fewest versions a configuration may keep, in batches of 3 rows. */
    private static final RetentionSettings POLICY = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2),
            Duration.ofDays(7), 3, Duration.ofHours(1), RetentionSettings.MIN_KEEP_VERSIONS, Duration.ofDays(30));

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();
    private static ApiClient admin;
    private static PostgresStorage otherInstance;

    @BeforeAll
    static void open() {
        admin = SERVER.admin();
        otherInstance = PostgresStorage.open(new DatabaseSettings(SERVER.database().url(), SERVER.database().user(),
                SERVER.database().password(), 2));
    }

    @AfterAll
    static void close() {
        otherInstance.close();
    }

    private static PurgeExpiredDataUseCase.Purged purge() {
        return purge(Clock.systemUTC());
    }

    /** A purge by an instance whose clock says this. */
    private static PurgeExpiredDataUseCase.Purged purge(Clock clock) {
        return PgfleetServer.useCases(otherInstance, TestServers.settings(SERVER.database()).withRetention(POLICY),
                clock).operations().purge().purgeExpired();
    }

    private static void sql(String... statements) throws SQLException {
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement()) {
            for (String q : statements) {
                s.execute(q);
            }
        }
    }

    private static long count(String sql) throws SQLException {
        return SERVER.database().count(sql);
    }

    @Test
    void versionsBeyondTheNumberKeptGoOldestFirstAndWhatStaysStillReadsDiffsAndRollsBack() throws SQLException {
        String id = "kept-" + IDS.incrementAndGet();
        assertEquals(201, admin.createCollector(id).statusCode());
        for (int v = 1; v <= 13; v++) {
            assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(v).toml()).statusCode());
        }
        for (int v = 1; v <= 12; v++) {
            assertEquals(201, admin.putToml("/api/v1/fleet/config", "[collector]\nwatch = " + (v % 2 == 0) + "\n# " + v + "\n")
                    .statusCode());
        }
        sql("INSERT INTO audit_log (at, actor, action, collector_id) VALUES (now() - interval '31 days', 'old', 'x', ''),"
                + " (now() - interval '31 days', 'old', 'x', ''), (now() - interval '29 days', 'recent', 'x', '')");
        long audit = count("SELECT count(*) FROM audit_log");

        PurgeExpiredDataUseCase.Purged purged = purge();

        assertEquals(3 + 2, purged.versions(), purged.toString());
        assertEquals(2, purged.auditEntries(), purged.toString());
        assertEquals(audit - 2, count("SELECT count(*) FROM audit_log"));
        assertEquals(0, count("SELECT count(*) FROM audit_log WHERE actor = 'old'"));
        assertEquals(4, count("SELECT min(version) FROM config_revisions WHERE collector_id = '" + id + "'"));
        assertEquals(3, count("SELECT min(version) FROM layer_revisions WHERE layer = 'fleet'"));

        assertEquals(404, admin.get("/api/v1/config/" + id + "/versions/3").statusCode());
        assertEquals(200, admin.get("/api/v1/config/" + id + "/versions/4").statusCode());
        HttpResponse<String> history = admin.get("/api/v1/config/" + id + "/versions?limit=50");
        assertEquals(200, history.statusCode(), history.body());
        assertTrue(history.body().contains("\"version\":4") && !history.body().contains("\"version\":3,"), history.body());
        assertEquals(404, admin.get("/api/v1/config/" + id + "/diff?from=3&to=13").statusCode());
        assertEquals(200, admin.get("/api/v1/config/" + id + "/diff?from=4&to=13").statusCode());
        assertEquals(404, admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 2}").statusCode());
        assertEquals(13, count("SELECT max(version) FROM config_revisions WHERE collector_id = '" + id + "'"),
                "a refused rollback stores nothing");
        assertEquals(201, admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 4}").statusCode());
        assertEquals(404, admin.get("/api/v1/fleet/config/versions/2").statusCode());
        assertEquals(200, admin.get("/api/v1/fleet/config/versions/3").statusCode());

        assertEquals(1, purge().versions(), "the rollback made version 14, so 4 now has 10 newer ones");
        assertEquals(0, purge().versions());
    }

    @Test
    void theCurrentLayerVersionAndEveryVersionARolloutNamesStayWhateverTheirAge() throws SQLException {
        String group = "ret" + IDS.incrementAndGet();
        String layer = "group/" + group;
        // Written as an earlier release or a long rollout history would leave them: 14 versions, the
        // current one is 2 (12..14 were staged and rolled back), a finished rollout names 12 and 3.
        sql("INSERT INTO config_layers (layer, latest_version) VALUES ('" + layer + "', 2)",
                "INSERT INTO layer_revisions (layer, version, document, content_hash, created_at, created_by, source)"
                        + " SELECT '" + layer + "', v, d, encode(sha256(convert_to(d, 'UTF8')), 'hex'), now(), 'admin', 'put'"
                        + " FROM generate_series(1, 14) v, LATERAL (SELECT '# ' || v || E'\\n[collector]\\nwatch = true\\n' AS d) x",
                "INSERT INTO rollouts (layer, staged_version, previous_version, state, waves, bake_seconds, max_failed,"
                        + " apply_deadline_seconds, started_waves, wave_started_at, created_at, created_by, updated_at)"
                        + " VALUES ('" + layer + "', 12, 3, 'rolled_back', '[]', 0, 0, 60, 1, now(), now(), 'admin', now())");

        purge();

        assertEquals(List.of("2", "3", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14"), OpenStorage.column(SERVER.database(),
                "SELECT version::text FROM layer_revisions WHERE layer = '" + layer + "' ORDER BY layer_revisions.version"),
                "1 and 4 go; 2 (current), 3 (a rollout returns to it) and 12 (staged) stay");
    }

    @Test
    void finishedRolloutsGoWithTheirPlansAfterTheAuditRetentionAndActiveOnesStay() throws SQLException {
        String group = "old" + IDS.incrementAndGet();
        String layer = "group/" + group;
        String id = "rolled-" + IDS.incrementAndGet();
        assertEquals(201, admin.createCollector(id).statusCode());
        String rollout = "INSERT INTO rollouts (layer, staged_version, previous_version, state, waves, bake_seconds,"
                + " max_failed, apply_deadline_seconds, started_waves, wave_started_at, created_at, created_by, updated_at,"
                + " ended_at) VALUES ('" + layer + "', 1, 0, '%s', '[]', 0, 0, 60, 1, now(), now(), 'admin', now(), %s)"
                + " RETURNING id";
        sql("INSERT INTO config_layers (layer, latest_version) VALUES ('" + layer + "', 1)",
                "INSERT INTO layer_revisions (layer, version, document, content_hash, created_at, created_by, source)"
                        + " SELECT '" + layer + "', 1, d, encode(sha256(convert_to(d, 'UTF8')), 'hex'), now(), 'admin', 'put'"
                        + " FROM (SELECT E'[collector]\\nwatch = true\\n' AS d) x");
        for (String[] r : List.of(new String[] {"completed", "now() - interval '31 days'"},
                new String[] {"rolled_back", "now() - interval '40 days'"}, new String[] {"completed", "now() - interval '29 days'"},
                new String[] {"paused", "NULL"})) {
            sql("WITH r AS (" + rollout.formatted(r[0], r[1]) + ")"
                    + " INSERT INTO rollout_members (rollout_id, collector_id, wave, position, skipped)"
                    + " SELECT id, '" + id + "', 0, 0, false FROM r",
                    "INSERT INTO rollout_events (rollout_id, seq, at, kind, detail)"
                            + " SELECT max(id), 1, now(), 'started', '' FROM rollouts");
        }

        assertEquals(2, purge().rollouts());

        assertEquals(List.of("completed", "paused"), OpenStorage.column(SERVER.database(),
                "SELECT state FROM rollouts WHERE layer = '" + layer + "' ORDER BY id"));
        assertEquals(2, count("SELECT count(*) FROM rollout_members WHERE collector_id = '" + id + "'"));
        assertEquals(2, count("SELECT count(*) FROM rollout_events e JOIN rollouts o ON o.id = e.rollout_id"
                + " WHERE o.layer = '" + layer + "'"));
        assertEquals(0, count("SELECT count(*) FROM rollout_events WHERE rollout_id NOT IN (SELECT id FROM rollouts)"));
    }

    @Test
    void anInstanceWhoseClockRunsYearsAheadTakesOnlyWhatTheDatabasesClockSaysIsPastRetention() throws SQLException {
        String layer = "group/clock" + IDS.incrementAndGet();
        sql("INSERT INTO audit_log (at, actor, action, collector_id) VALUES (now() - interval '31 days', 'clock-old', 'x', ''),"
                        + " (now() - interval '1 day', 'clock-recent', 'x', '')",
                "INSERT INTO config_layers (layer, latest_version) VALUES ('" + layer + "', 1)",
                "INSERT INTO layer_revisions (layer, version, document, content_hash, created_at, created_by, source)"
                        + " SELECT '" + layer + "', 1, d, encode(sha256(convert_to(d, 'UTF8')), 'hex'), now(), 'admin', 'put'"
                        + " FROM (SELECT E'[collector]\\nwatch = true\\n' AS d) x",
                "INSERT INTO rollouts (layer, staged_version, previous_version, state, waves, bake_seconds, max_failed,"
                        + " apply_deadline_seconds, started_waves, wave_started_at, created_at, created_by, updated_at, ended_at)"
                        + " VALUES ('" + layer + "', 1, 0, 'completed', '[]', 0, 0, 60, 1, now(), now(), 'admin', now(),"
                        + " now() - interval '1 day')");

        // A VM restored with a wrong clock, a broken time source: two years ahead of the database's.
        purge(Clock.offset(Clock.systemUTC(), Duration.ofDays(730)));

        assertEquals(0, count("SELECT count(*) FROM audit_log WHERE actor = 'clock-old'"), "31 days old by either clock");
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE actor = 'clock-recent'"),
                "yesterday's entry is not 30 days old for the database");
        assertEquals(1, count("SELECT count(*) FROM rollouts WHERE layer = '" + layer + "'"),
                "a rollout that ended yesterday stays");
    }

    @Test
    void outsideTheRetentionPurgeVersionsAndAuditEntriesStayImmutable() throws SQLException {
        String id = "immutable-" + IDS.incrementAndGet();
        HttpResponse<String> created = admin.createCollector(id);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(5).toml()).statusCode());
        long versions = count("SELECT count(*) FROM config_revisions");
        long audit = count("SELECT count(*) FROM audit_log");

        for (String statement : List.of("DELETE FROM config_revisions WHERE collector_id = '" + id + "'",
                "DELETE FROM audit_log", "UPDATE audit_log SET detail = 'rewritten'",
                "UPDATE config_revisions SET message = 'rewritten'")) {
            SQLException e = assertThrows(SQLException.class, () -> sql(statement), statement);
            assertTrue(e.getMessage().contains("immutable"), e.getMessage());
        }
        // Even inside a transaction marked as the purge's, a version is never changed, only deleted.
        SQLException e = assertThrows(SQLException.class, () -> sql("BEGIN", "SET LOCAL pgfleet.retention = 'on'",
                "UPDATE config_revisions SET message = 'rewritten'", "COMMIT"));
        assertTrue(e.getMessage().contains("immutable"), e.getMessage());
        assertEquals(versions, count("SELECT count(*) FROM config_revisions"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));
    }
}
