package io.pgfleet.server;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a restore the fleet view does not present the backup's apply statuses as current: each
 * collector's status is marked as from the backup, and not in sync, until its agent says what it
 * runs: one without any apply status in the backup too. An agent that ran a later version pulls the
 * restored one and reports it; one that already runs the restored revision sends no report (it has
 * nothing to apply), and its pull answered 304 for the current revision clears the mark; so does the
 * pull of one with nothing published that holds nothing. A metrics push does not (it says nothing of
 * what the agent runs), nor does a user's read of the document.
 */
class RestoredStatusIT {

    private static void command(Path dataDir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = DataCommands.run(args, Map.of("PGFLEET_DATA_DIR", dataDir.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
    }

    private static PgfleetServer start(Path dataDir) {
        return PgfleetServer.start(new ServerSettings("127.0.0.1", 0, dataDir, Optional.empty(), "postgres", "", 4,
                Optional.of(ServerSettings.TEST_ADMIN_PASSWORD), Optional.of(ServerSettings.TEST_REGISTRATION_SECRET),
                Duration.ofMinutes(15), TlsSettings.none()));
    }

    /** An APPLIED report of the collector's latest revision, with the server's hash of it. */
    private static void applied(ApiClient admin, ApiClient agent, int version) {
        Matcher sha = Pattern.compile("\"effective_sha256\":\"([0-9a-f]{64})\"")
                .matcher(admin.get("/api/v1/collectors/" + agent.subject() + "/effective").body());
        assertTrue(sha.find());
        assertEquals(204, agent.postJson("/api/v1/collectors/" + agent.subject() + "/status", "{\"version\": " + version
                + ", \"status\": \"APPLIED\", \"error\": \"\", \"effective_sha256\": \"" + sha.group(1) + "\"}").statusCode());
    }

    /** The same agent (its tokens survive the restore) talking to the restarted server. */
    private static ApiClient onPort(ApiClient agent, int port) {
        ApiClient moved = new ApiClient(port);
        moved.useToken(agent.token());
        return moved;
    }

    private static JsonObject member(ApiClient admin, ApiClient agent) {
        for (JsonObject c : Json.createReader(new StringReader(admin.get("/api/v1/collectors").body())).readObject()
                .getJsonArray("collectors").getValuesAs(JsonObject.class)) {
            if (c.getString("id").equals(agent.subject())) {
                return c;
            }
        }
        throw new AssertionError(agent.subject() + " is not in the fleet view");
    }

    private static int push(ApiClient agent, String batch) {
        return agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"" + batch + "\",\"samples\":[{"
                + "\"name\":\"pg_up\",\"labels\":{},\"value\":1,\"ts\":\"" + Instant.now() + "\"}]}").statusCode();
    }

    /** A pull as the agent makes it: the revision and the entity tag it holds. */
    private static int pull(ApiClient caller, String id, int after, String etag) {
        return caller.send(caller.request("/api/v1/config/" + id + "?wait=0&after=" + after)
                .header("If-None-Match", etag).GET()).statusCode();
    }

    @Test
    void theBackupsApplyStatusIsShownAsSuchUntilTheCollectorIsHeardFromAgain(@TempDir Path dataDir,
                                                                              @TempDir Path backups) {
        Path backup = backups.resolve("pgfleet.backup");
        ApiClient ahead;
        ApiClient same;
        ApiClient pushedOnly;
        ApiClient idle;
        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            ahead = ApiClient.registeredCollector(server.port(), "{\"name\":\"ahead\"}");
            same = ApiClient.registeredCollector(server.port(), "{\"name\":\"same\"}");
            for (ApiClient agent : new ApiClient[] {ahead, same}) {
                assertEquals(201, admin.putToml("/api/v1/config/" + agent.subject(), aDocument().toml()).statusCode());
                applied(admin, agent, 1);
            }
            // Nothing published for it and no apply report at the backup: it has no apply status.
            pushedOnly = ApiClient.registeredCollector(server.port(), "{\"name\":\"pushed-only\"}");
            assertEquals(202, push(pushedOnly, "before-backup"));
            // Nothing is ever published for "idle": its agent runs the defaults, before and after.
            idle = ApiClient.registeredCollector(server.port(), "{\"name\":\"idle\"}");
            assertEquals(404, idle.get("/api/v1/config/" + idle.subject()).statusCode());
            command(dataDir, "backup", backup.toString());
            // After the backup, "pushed-only" applies a first version the restore will take away.
            assertEquals(201, admin.putToml("/api/v1/config/" + pushedOnly.subject(), aDocument().toml()).statusCode());
            applied(admin, pushedOnly, 1);
            // After the backup, "ahead" applies a version the restore will take away.
            assertEquals(201, admin.putToml("/api/v1/config/" + ahead.subject(), aDocument().pushInterval(20).toml())
                    .statusCode());
            applied(admin, ahead, 2);
            assertTrue(member(admin, ahead).getBoolean("in_sync"));
        }
        command(dataDir, "restore", backup.toString());

        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            ahead = onPort(ahead, server.port());
            same = onPort(same, server.port());
            pushedOnly = onPort(pushedOnly, server.port());
            idle = onPort(idle, server.port());
            for (ApiClient agent : new ApiClient[] {ahead, same, pushedOnly, idle}) {
                JsonObject m = member(admin, agent);
                assertEquals(agent == pushedOnly || agent == idle ? 0 : 1, m.getInt("applied_version"), m.toString());
                assertTrue(m.getBoolean("status_from_backup"), m.toString());
                assertFalse(m.getBoolean("in_sync"), "what it runs since the restore is not known: " + m);
                assertFalse(m.getBoolean("never_seen"), m.toString());
            }
            String metrics = new ApiClient(server.port()).get("/observe/metrics").body();
            assertTrue(metrics.contains("pgfleet_collectors{state=\"out_of_sync\"} 4.0"), metrics);
            // A push says nothing of what "pushed-only" runs (a version the restore removed).
            assertEquals(202, push(pushedOnly, "after-restore-0"));
            assertTrue(member(admin, pushedOnly).getBoolean("status_from_backup"));
            // Nor does its pull naming the version it runs, which the restore took away (nothing is
            // published for it now): the server has nothing of what it runs.
            assertEquals(304, pushedOnly.get("/api/v1/config/" + pushedOnly.subject() + "?wait=0&after=1").statusCode());
            assertTrue(member(admin, pushedOnly).getBoolean("status_from_backup"));

            // "idle" holds nothing and nothing is published for it: a user's read says nothing of
            // what its agent runs; its own pull naming no revision does (the defaults, as here).
            assertEquals(404, admin.get("/api/v1/config/" + idle.subject()).statusCode());
            assertTrue(member(admin, idle).getBoolean("status_from_backup"));
            assertEquals(404, idle.get("/api/v1/config/" + idle.subject()).statusCode());
            JsonObject defaults = member(admin, idle);
            assertFalse(defaults.getBoolean("status_from_backup"), defaults.toString());
            assertTrue(defaults.getBoolean("in_sync"), defaults.toString());

            // "ahead" ran version 2: its agent pulls the restored version 1, applies and reports it.
            applied(admin, ahead, 1);
            JsonObject reported = member(admin, ahead);
            assertFalse(reported.getBoolean("status_from_backup"), reported.toString());
            assertTrue(reported.getBoolean("in_sync"), reported.toString());
            // "same" runs version 1 already and sends no report; a push does not say what it runs.
            assertEquals(202, push(same, "after-restore-1"));
            JsonObject pushed = member(admin, same);
            assertTrue(pushed.getBoolean("status_from_backup"), pushed.toString());
            assertFalse(pushed.getBoolean("in_sync"), pushed.toString());
            // Its pull of the revision it holds, answered 304, does; a user's read of it does not.
            String etag = admin.send(admin.request("/api/v1/config/" + same.subject()).GET()).headers()
                    .firstValue("ETag").orElseThrow();
            assertEquals(304, pull(admin, same.subject(), 1, etag));
            assertTrue(member(admin, same).getBoolean("status_from_backup"));
            assertEquals(304, pull(same, same.subject(), 1, etag));
            JsonObject pulled = member(admin, same);
            assertFalse(pulled.getBoolean("status_from_backup"), pulled.toString());
            assertTrue(pulled.getBoolean("in_sync"), pulled.toString());
            assertEquals(1, pulled.getInt("applied_version"), pulled.toString());
            assertEquals("APPLIED", pulled.getString("apply_status"), pulled.toString());
            // A second pull finds it unmarked, from memory.
            assertEquals(304, pull(same, same.subject(), 1, etag));
        }
        // A later start is not a restore: nothing is marked again.
        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertFalse(member(admin, same).getBoolean("status_from_backup"));
        }
    }
}
