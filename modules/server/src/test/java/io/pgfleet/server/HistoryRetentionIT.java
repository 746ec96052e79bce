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

    private static int delete(String path) {
        return admin.send(admin.request(path).DELETE()).statusCode();
    }

    private static void aGroupWithTwoVersions(String group) {
        HttpResponse<String> created = admin.postJson("/api/v1/groups",
                "{\"id\":\"" + group + "\",\"selector\":{\"retention\":\"" + group + "\"},\"priority\":1}");
        assertEquals(201, created.statusCode(), created.body());
        for (int v = 1; v <= 2; v++) {
            assertEquals(201, admin.putToml("/api/v1/groups/" + group + "/config", "[collector]\nwatch = true\n# " + v + "\n")
                    .statusCode());
        }
    }

    @Test
    void aGroupDeletedLongerAgoThanTheAuditRetentionGoesWithItsLayerAndItsIdMayBeCreatedAgain() throws SQLException {
        String gone = "gone" + IDS.incrementAndGet();
        String recent = "recent" + IDS.incrementAndGet();
        String named = "named" + IDS.incrementAndGet();
        for (String group : List.of(gone, recent, named)) {
            aGroupWithTwoVersions(group);
            assertEquals(204, delete("/api/v1/groups/" + group));
        }
        // A rollout record still kept names this one's layer (one the run's rollout batches did not
        // reach yet): the group waits for it instead of failing the run on the rollout's foreign keys.
        sql("UPDATE config_groups SET deleted_at = now() - interval '31 days' WHERE id = '" + named + "'",
                "INSERT INTO rollouts (layer, staged_version, previous_version, state, waves, bake_seconds, max_failed,"
                        + " apply_deadline_seconds, started_waves, wave_started_at, created_at, created_by, updated_at,"
                        + " ended_at) VALUES ('group/" + named + "', 2, 1, 'completed', '[]', 0, 0, 60, 1, now(), now(),"
                        + " 'admin', now(), now() - interval '29 days')");
        // Deleted 31 days ago, after a rollout of its layer that ended 40 days ago (the audit keeps 30).
        sql("UPDATE config_groups SET deleted_at = now() - interval '31 days' WHERE id = '" + gone + "'",
                "INSERT INTO rollouts (layer, staged_version, previous_version, state, waves, bake_seconds, max_failed,"
                        + " apply_deadline_seconds, started_waves, wave_started_at, created_at, created_by, updated_at,"
                        + " ended_at) VALUES ('group/" + gone + "', 2, 1, 'completed', '[]', 0, 0, 60, 1, now(), now(),"
                        + " 'admin', now(), now() - interval '40 days')");
        assertEquals(409, admin.postJson("/api/v1/groups", "{\"id\":\"" + gone + "\"}").statusCode(),
                "until the purge, a deleted group's id stays taken");

        PurgeExpiredDataUseCase.Purged purged = purge();

        assertEquals(1, purged.deletedGroups(), purged.toString());
        assertEquals(0, count("SELECT count(*) FROM config_groups WHERE id = '" + gone + "'"));
        assertEquals(0, count("SELECT count(*) FROM config_layers WHERE layer = 'group/" + gone + "'"));
        assertEquals(0, count("SELECT count(*) FROM layer_revisions WHERE layer = 'group/" + gone + "'"));
        assertEquals(0, count("SELECT count(*) FROM rollouts WHERE layer = 'group/" + gone + "'"),
                "the rollout went first, in the same run");
        assertEquals(2, count("SELECT count(*) FROM layer_revisions WHERE layer = 'group/" + recent + "'"),
                "a group deleted within the audit retention keeps its history");
        assertEquals(200, admin.get("/api/v1/groups/" + recent + "/config/versions").statusCode());
        assertEquals(2, count("SELECT count(*) FROM layer_revisions WHERE layer = 'group/" + named + "'"),
                "a group whose layer a kept rollout names stays with it");
        assertEquals(200, admin.get("/api/v1/groups/" + named + "/config/versions/2").statusCode());

        // A purged group is one that never existed: 404 everywhere, nothing fails.
        for (String path : List.of("", "/config", "/config/versions", "/config/versions/1", "/config/diff?from=1&to=2",
                "/members")) {
            HttpResponse<String> r = admin.get("/api/v1/groups/" + gone + path);
            assertEquals(404, r.statusCode(), path + ": " + r.body());
        }
        // Its id may be created again: a new group whose layer's versions start at 1.
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"" + gone + "\"}").statusCode());
        HttpResponse<String> first = admin.putToml("/api/v1/groups/" + gone + "/config", "[collector]\nwatch = false\n");
        assertEquals(201, first.statusCode(), first.body());
        assertTrue(first.body().contains("\"version\":1,"), first.body());
        assertEquals(409, admin.postJson("/api/v1/groups", "{\"id\":\"" + recent + "\"}").statusCode());
        assertEquals(0, purge().deletedGroups());
    }

    @Test
    void aCollectorDecommissionedLongerAgoThanTheAuditRetentionKeepsOnlyATombstoneThatStillHoldsItsId()
            throws SQLException {
        String gone = "tomb-" + IDS.incrementAndGet();
        String recent = "decom-" + IDS.incrementAndGet();
        for (String id : List.of(gone, recent)) {
            HttpResponse<String> created = admin.postJson("/api/v1/collectors", "{\"id\":\"" + id + "\",\"name\":\"" + id
                    + "\",\"hostname\":\"" + id + ".example\",\"labels\":{\"env\":\"prod\"}}");
            assertEquals(201, created.statusCode(), created.body());
            for (int v = 1; v <= 2; v++) {
                assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(v).toml()).statusCode());
            }
            sql("INSERT INTO samples (collector_id, batch_id, name, labels, value, ts)"
                    + " VALUES ('" + id + "', 'batch-0001', 'm', '{}', 1, now() + interval '300 days')");
            assertEquals(204, delete("/api/v1/collectors/" + id));
        }
        sql("UPDATE collectors SET decommissioned_at = now() - interval '31 days' WHERE id = '" + gone + "'");

        PurgeExpiredDataUseCase.Purged purged = purge();

        assertEquals(1, purged.decommissionedCollectors(), purged.toString());
        for (String table : List.of("config_revisions", "effective_configs", "samples")) {
            assertEquals(0, count("SELECT count(*) FROM " + table + " WHERE collector_id = '" + gone + "'"), table);
            assertTrue(count("SELECT count(*) FROM " + table + " WHERE collector_id = '" + recent + "'") > 0,
                    table + " of a collector decommissioned within the audit retention stays");
        }
        assertEquals(1, count("SELECT count(*) FROM collectors WHERE id = '" + gone + "' AND purged_at IS NOT NULL"
                + " AND labels = '{}' AND hostname = '' AND revoked_at IS NOT NULL"), "the tombstone");
        long overhead = count("SELECT pg_column_size(c.*) - octet_length(id) - octet_length(name) FROM collectors c"
                + " WHERE id = '" + gone + "'");
        assertTrue(overhead <= 120, "the tombstone holds little besides its id and name: " + overhead + " bytes");

        // The tombstone keeps the id: never provisioned or bound again, and every read is clear.
        assertEquals(410, admin.createCollector(gone).statusCode());
        assertEquals(410, admin.postJson("/api/v1/collectors/" + gone + "/enrolment-token", "").statusCode());
        for (String path : List.of("/api/v1/collectors/" + gone, "/api/v1/collectors/" + gone + "/effective",
                "/api/v1/config/" + gone, "/api/v1/config/" + gone + "/own")) {
            HttpResponse<String> r = admin.get(path);
            assertEquals(410, r.statusCode(), path + ": " + r.body());
        }
        // Its history is gone, and its reads say so (and when) instead of an empty list or a 404 that
        // reads as "never had one"; before any query is judged, for operators and viewers alike.
        String purgedAt = java.time.Instant.ofEpochSecond(count("SELECT floor(extract(epoch FROM purged_at))::bigint"
                + " FROM collectors WHERE id = '" + gone + "'")).toString().substring(0, 19);
        ApiClient viewer = SERVER.newUser("tomb-viewer-" + IDS.incrementAndGet(), "viewer");
        for (ApiClient reader : List.of(admin, viewer)) {
            for (String path : List.of("/api/v1/config/" + gone + "/versions", "/api/v1/config/" + gone + "/versions?limit=0",
                    "/api/v1/config/" + gone + "/versions/1", "/api/v1/config/" + gone + "/versions/99",
                    "/api/v1/config/" + gone + "/diff?from=1&to=2", "/api/v1/config/" + gone + "/diff",
                    "/api/v1/collectors/" + gone + "/metrics", "/api/v1/collectors/" + gone + "/metrics?limit=0")) {
                HttpResponse<String> r = reader.get(path);
                assertEquals(410, r.statusCode(), path + ": " + r.body());
                assertTrue(r.body().contains("/problems/collector-purged") && r.body().contains("\"purged_at\":\"" + purgedAt)
                        && r.body().contains("\"decommissioned_at\":") && r.body().contains("retention purged its history"),
                        path + ": " + r.body());
            }
        }
        // A collector decommissioned within the retention keeps serving its kept history.
        HttpResponse<String> kept = admin.get("/api/v1/config/" + recent + "/versions");
        assertEquals(200, kept.statusCode(), kept.body());
        assertTrue(kept.body().contains("\"version\":2"), kept.body());
        assertEquals(200, admin.get("/api/v1/config/" + recent + "/versions/1").statusCode());
        assertEquals(200, admin.get("/api/v1/config/" + recent + "/diff?from=1&to=2").statusCode());
        HttpResponse<String> samples = admin.get("/api/v1/collectors/" + recent + "/metrics");
        assertEquals(200, samples.statusCode(), samples.body());
        assertTrue(samples.body().contains("\"name\":\"m\""), samples.body());
        // An id no collector ever had is still unknown, not gone.
        assertEquals(404, admin.get("/api/v1/config/never-" + IDS.incrementAndGet() + "/versions").statusCode());
        assertEquals(0, purge().decommissionedCollectors(), "a tombstone is not visited again");
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
