package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An external database restored from an older dump (pg_dump, then pg_restore into a new database
 * the instances are pointed at) is recognised at the first start on it, by its tables having been
 * created anew: each collector's apply status is marked as the backup's, as after the embedded
 * restore, until its agent says what it runs. Before, the fleet view showed an agent that had since
 * applied a later version as in sync at the backup's version. A later start marks nothing again;
 * removing the identity row, the operator's step after a physical restore (which keeps every oid),
 * marks the statuses the same way.
 */
class ExternalRestoreIT {

    @Test
    void aDatabaseRestoredFromAnOlderDumpShowsItsApplyStatusesAsTheBackupsUntilEachAgentSaysWhatItRuns() throws Exception {
        TestDatabase original = TestPostgres.newDatabase();
        // Created and migrated without the template: every table of its own, as pg_restore makes them.
        TestDatabase restored = TestPostgres.newDatabaseAt("latest");
        ApiClient ahead;
        ApiClient same;
        try (PgfleetServer server = TestServers.start(original)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            ahead = ApiClient.registeredCollector(server.port(), "{\"name\":\"ahead\"}");
            same = ApiClient.registeredCollector(server.port(), "{\"name\":\"same\"}");
            for (ApiClient agent : new ApiClient[] {ahead, same}) {
                assertEquals(201, admin.putToml("/api/v1/config/" + agent.subject(), aDocument().toml()).statusCode());
                applied(admin, agent, 1);
            }
            dumpAndRestore(original, restored);
            // After the dump, "ahead" applies a version the restore takes away.
            assertEquals(201, admin.putToml("/api/v1/config/" + ahead.subject(), aDocument().pushInterval(20).toml())
                    .statusCode());
            applied(admin, ahead, 2);
        }

        try (PgfleetServer server = TestServers.start(restored)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            ahead = onPort(ahead, server.port());
            same = onPort(same, server.port());
            for (ApiClient agent : new ApiClient[] {ahead, same}) {
                JsonObject m = member(admin, agent);
                assertEquals(1, m.getInt("applied_version"), m.toString());
                assertTrue(m.getBoolean("status_from_backup"), "the backup's status, not what runs now: " + m);
                assertFalse(m.getBoolean("in_sync"), m.toString());
            }
            // "ahead" runs version 2, which the restored database does not have: it is answered
            // version 1 at once, applies and reports it.
            HttpResponse<String> pulled = ahead.get("/api/v1/config/" + ahead.subject() + "?wait=0&after=2");
            assertEquals(200, pulled.statusCode(), pulled.body());
            assertEquals("1", pulled.headers().firstValue("X-Config-Version").orElseThrow());
            applied(admin, ahead, 1);
            assertTrue(member(admin, ahead).getBoolean("in_sync"));
            // "same" runs version 1 already: its pull answered 304 says so.
            String etag = admin.send(admin.request("/api/v1/config/" + same.subject()).GET()).headers()
                    .firstValue("ETag").orElseThrow();
            assertEquals(304, same.send(same.request("/api/v1/config/" + same.subject() + "?wait=0&after=1")
                    .header("If-None-Match", etag).GET()).statusCode());
            JsonObject told = member(admin, same);
            assertFalse(told.getBoolean("status_from_backup"), told.toString());
            assertTrue(told.getBoolean("in_sync"), told.toString());
        }

        // A later start on it is no restore; after a physical restore the operator removes the row.
        try (PgfleetServer server = TestServers.start(restored)) {
            assertFalse(member(ApiClient.asAdmin(server.port()), same).getBoolean("status_from_backup"));
        }
        try (Connection c = restored.connect(); Statement s = c.createStatement()) {
            assertEquals(1, s.executeUpdate("DELETE FROM database_identity"));
        }
        try (PgfleetServer server = TestServers.start(restored)) {
            JsonObject marked = member(ApiClient.asAdmin(server.port()), same);
            assertTrue(marked.getBoolean("status_from_backup"), marked.toString());
        }
        assertEquals(1, restored.count("SELECT count(*) FROM database_identity"), "the identity is recorded again");
    }

    @Test
    void aRolloutRunningAtTheDumpIsPausedOnTheRestoredDatabaseInsteadOfRolledBackForReportsTheRestoreTookAway()
            throws Exception {
        TestDatabase original = TestPostgres.newDatabase();
        TestDatabase restored = TestPostgres.newDatabaseAt("latest");
        long id;
        RolloutFleet.Member canary;
        RolloutFleet.Member other;
        int deadline = 3;
        try (PgfleetServer server = PgfleetServer.start(fastRollouts(original))) {
            RolloutFleet fleet = new RolloutFleet(server.port(), ApiClient.asAdmin(server.port()));
            fleet.group("dumped", "{\"suite\":\"dumped\"}");
            assertEquals(201, ApiClient.asAdmin(server.port()).putToml("/api/v1/groups/dumped/config",
                    "[collector]\npush_interval = 30\n").statusCode());
            canary = fleet.seen("dumped-canary", "{\"suite\":\"dumped\",\"canary\":\"true\"}");
            other = fleet.seen("dumped-other", "{\"suite\":\"dumped\"}");
            id = fleet.start("group/dumped", "[collector]\npush_interval = 20\n", RolloutFleet.CANARY_FIRST, 0, deadline);
            canary.applied();
            fleet.awaitWave(id, 2);
            // Dumped while wave 2 waits for "other", which then applies the staged version: the rollout
            // completes, and every member runs it.
            dumpAndRestore(original, restored);
            other.applied();
            fleet.awaitState(id, "completed");
        }
        // The restored wave 2 began over its deadline ago, and "other"'s report is not in the dump.
        try (Connection c = restored.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT greatest(0, extract(epoch FROM wave_began_at + make_interval(secs => "
                     + deadline + ") - now())) FROM rollouts WHERE id = " + id)) {
            assertTrue(r.next());
            Thread.sleep((long) (r.getDouble(1) * 1000) + 1); // the deadline is a time: it passes, nothing announces it
        }
        try (PgfleetServer server = PgfleetServer.start(fastRollouts(restored))) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            RolloutFleet fleet = new RolloutFleet(server.port(), admin);
            JsonObject paused = fleet.rollout(id);
            assertEquals("paused", paused.getString("state"), "not rolled back: " + paused);
            assertEquals(2, paused.getInt("current_wave"));
            JsonObject last = paused.getJsonArray("timeline").getJsonObject(paused.getJsonArray("timeline").size() - 1);
            assertTrue(last.getString("detail").contains("restored from a backup"), last.toString());
            assertEquals("1", admin.get("/api/v1/groups/dumped/config").headers().firstValue("X-Config-Version").orElseThrow(),
                    "nothing was published: the staged version is not current, and no rollback version was made");

            // Its agent holds the staged revision: its pull, answered 304, says so; resumed, the wave passes.
            RolloutFleet.Member otherNow = fleet.new Member(onPort(other.client, server.port()), other.id);
            int revision = otherNow.revision();
            String etag = admin.send(admin.request("/api/v1/config/" + other.id).GET()).headers().firstValue("ETag")
                    .orElseThrow();
            assertEquals(304, otherNow.client.send(otherNow.client.request("/api/v1/config/" + other.id + "?wait=0&after="
                    + revision).header("If-None-Match", etag).GET()).statusCode());
            assertEquals(200, fleet.command(id, "resume").statusCode());
            fleet.awaitState(id, "completed");
            assertEquals(revision, otherNow.revision(), "it kept the revision it runs");
        }
    }

    private static ServerSettings fastRollouts(TestDatabase db) {
        ServerSettings s = TestServers.settings(db);
        return s.withRollouts(s.rollouts().withTick(java.time.Duration.ofMillis(100)).withLease(java.time.Duration.ofSeconds(2)));
    }

    @Test
    void instancesStartingTogetherOnARestoredDatabaseAuditTheRestoreOnce() throws Exception {
        TestDatabase original = TestPostgres.newDatabase();
        TestDatabase restored = TestPostgres.newDatabaseAt("latest");
        try (PgfleetServer server = TestServers.start(original)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            ApiClient.registeredCollector(server.port(), "{\"name\":\"audited\"}");
            dumpAndRestore(original, restored);
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"late\",\"password\":\"password-of-late\",\"role\":\"viewer\"}").statusCode());
        }

        // Three instances started at once: each finds the database restored; one entry says so.
        java.util.concurrent.ExecutorService starts = java.util.concurrent.Executors.newFixedThreadPool(3);
        List<PgfleetServer> servers = new ArrayList<>();
        try {
            List<java.util.concurrent.Future<PgfleetServer>> started = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                started.add(starts.submit(() -> TestServers.start(restored)));
            }
            for (java.util.concurrent.Future<PgfleetServer> f : started) {
                servers.add(f.get());
            }
            HttpResponse<String> r = ApiClient.asAdmin(servers.getFirst().port()).get("/api/v1/audit?action=server.restored");
            assertEquals(200, r.statusCode(), r.body());
            List<JsonObject> entries = RolloutFleet.json(r.body()).getJsonArray("entries").getValuesAs(JsonObject.class);
            assertEquals(1, entries.size(), entries.toString());
            assertEquals("pgfleet", entries.getFirst().getString("actor"));
            String detail = entries.getFirst().getString("detail");
            assertTrue(detail.startsWith("the database was restored from a dump (its tables were created anew) from a backup"
                    + " taken at a time it does not record: audit entries written after the backup are gone from this trail;"
                    + " the newest entry kept is of "), detail);
            assertEquals(0, restored.count("SELECT count(*) FROM audit_log WHERE username = 'late'"), "gone, as it says");
        } finally {
            servers.forEach(PgfleetServer::close);
            starts.shutdown();
        }

        // A later start writes none; the operator's step after a physical restore is audited too.
        try (PgfleetServer server = TestServers.start(restored)) {
            assertEquals(1, restored.count("SELECT count(*) FROM audit_log WHERE action = 'server.restored'"));
        }
        try (Connection c = restored.connect(); Statement s = c.createStatement()) {
            assertEquals(1, s.executeUpdate("DELETE FROM database_identity"));
        }
        try (PgfleetServer server = TestServers.start(restored)) {
            assertEquals(1, restored.count("SELECT count(*) FROM audit_log WHERE action = 'server.restored'"
                    + " AND detail LIKE 'the database was marked as restored (its database_identity row was removed%'"));
        }
        assertEquals(2, restored.count("SELECT count(*) FROM audit_log WHERE action = 'server.restored'"));
    }

    /**
     * What pg_dump and pg_restore do, without their binaries: every table's rows (not the migration
     * history, the same in both) copied into the tables of another database, and its sequences set.
     */
    private static void dumpAndRestore(TestDatabase from, TestDatabase into) throws Exception {
        try (Connection source = from.connect(); Connection target = into.connect(); Statement s = target.createStatement()) {
            source.setAutoCommit(false);
            source.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            target.setAutoCommit(false);
            List<String> tables = new ArrayList<>();
            try (Statement q = source.createStatement(); ResultSet r = q.executeQuery("SELECT c.relname FROM pg_class c"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
                    + " AND NOT c.relispartition AND c.relname <> 'flyway_schema_history'")) {
                while (r.next()) {
                    tables.add(r.getString(1));
                }
            }
            s.execute("SET session_replication_role = replica");
            s.execute("TRUNCATE " + String.join(", ", tables));
            for (String table : tables) {
                String columns;
                try (Statement q = source.createStatement(); ResultSet r = q.executeQuery("SELECT string_agg(quote_ident(attname),"
                        + " ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'public." + table + "'::regclass"
                        + " AND attnum > 0 AND NOT attisdropped AND attgenerated = ''")) {
                    r.next();
                    columns = r.getString(1);
                }
                ByteArrayOutputStream rows = new ByteArrayOutputStream();
                source.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT " + columns + " FROM public." + table
                        + ") TO STDOUT", rows);
                target.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY public." + table + " (" + columns
                        + ") FROM STDIN", new ByteArrayInputStream(rows.toByteArray()));
            }
            try (Statement q = source.createStatement(); ResultSet r = q.executeQuery(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")) {
                while (r.next()) {
                    s.execute("SELECT setval('public." + r.getString(1) + "', " + r.getLong(2) + ")");
                }
            }
            target.commit();
            source.rollback();
        }
    }

    /** An APPLIED report of the collector's latest revision, with the server's hash of it. */
    private static void applied(ApiClient admin, ApiClient agent, int version) {
        Matcher sha = Pattern.compile("\"effective_sha256\":\"([0-9a-f]{64})\"")
                .matcher(admin.get("/api/v1/collectors/" + agent.subject() + "/effective").body());
        assertTrue(sha.find());
        assertEquals(204, agent.postJson("/api/v1/collectors/" + agent.subject() + "/status", "{\"version\": " + version
                + ", \"status\": \"APPLIED\", \"error\": \"\", \"effective_sha256\": \"" + sha.group(1) + "\"}").statusCode());
    }

    /** The same agent (its tokens are in the dump) talking to the server on the restored database. */
    private static ApiClient onPort(ApiClient agent, int port) {
        ApiClient moved = new ApiClient(port);
        moved.useToken(agent.token());
        return moved;
    }

    private static JsonObject member(ApiClient admin, ApiClient agent) {
        HttpResponse<String> r = admin.get("/api/v1/collectors/" + agent.subject());
        assertEquals(200, r.statusCode(), r.body());
        return RolloutFleet.json(r.body());
    }
}
