package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an effective revision means to its readers on every instance: a layer change that leaves a
 * collector's configuration as it was is no new revision, yet every instance names its new sources;
 * revisions seeded by the schema migration are judged by hash from the start; a group change wakes
 * each member's watch once. Its own database: the fleet layer reaches every collector.
 */
class EffectiveRevisionsIT {

    private static TestDatabase database;
    private static PgfleetServer a;
    private static PgfleetServer b;
    private static ApiClient onA;
    private static ApiClient onB;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        a = TestServers.start(database);
        b = TestServers.start(database);
        onA = ApiClient.asAdmin(a.port());
        onB = ApiClient.asAdmin(b.port());
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
    }

    private static void ok(HttpResponse<String> r) {
        assertTrue(r.statusCode() == 200 || r.statusCode() == 201 || r.statusCode() == 204, r.statusCode() + " " + r.body());
    }

    private static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElse("");
    }

    private static CompletableFuture<HttpResponse<String>> watch(ApiClient c, String id, String after, int seconds) {
        return CompletableFuture.supplyAsync(() -> c.get("/api/v1/config/" + id + "?wait=" + seconds + "&after=" + after));
    }

    @Test
    void aLayerVersionThatChangesNoValueKeepsTheRevisionAndEveryInstanceNamesItsSources() throws Exception {
        ok(onA.postJson("/api/v1/collectors", "{\"id\":\"same-1\",\"labels\":{\"t\":\"same\"}}"));
        ok(onA.putToml("/api/v1/config/same-1", "[postgres]\nport = 6432\n"));
        ok(onA.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 30\n"));
        HttpResponse<String> before = onB.get("/api/v1/config/same-1");
        String revision = header(before, "X-Config-Version");
        assertEquals("fleet@1, collector@1", header(before, "X-Config-Sources"));
        CompletableFuture<HttpResponse<String>> watching = watch(onB, "same-1", revision, 3);

        // The same values: a comment, then a key set to its default. Agents have nothing to apply.
        ok(onA.putToml("/api/v1/fleet/config", "# tuned for the fleet\n[collector]\npush_interval = 30\n"));
        ok(onA.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 30\nconfig_pull_interval = 300\n"));

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> after;
        do {
            after = onB.get("/api/v1/config/same-1");
        } while (!header(after, "X-Config-Sources").equals("fleet@3, collector@1") && System.nanoTime() < deadline
                && sleep());
        assertEquals("fleet@3, collector@1", header(after, "X-Config-Sources"), "the other instance names the new sources");
        assertEquals(revision, header(after, "X-Config-Version"), "no new effective revision");
        assertEquals(before.body(), after.body());
        assertEquals(revision, header(onA.get("/api/v1/config/same-1"), "X-Config-Version"));
        assertEquals(304, watching.get().statusCode(), "the watch is not woken: nothing to apply");
        assertTrue(onA.get("/api/v1/collectors/same-1/effective").body().contains("\"source\":\"fleet@3\""));

        // A value that does change is a new revision, announced on both instances.
        CompletableFuture<HttpResponse<String>> woken = watch(onB, "same-1", revision, 10);
        ok(onA.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 31\n"));
        assertEquals(200, woken.get().statusCode());
        assertEquals(Integer.parseInt(revision) + 1, Integer.parseInt(header(woken.get(), "X-Config-Version")));
        assertEquals("fleet@4, collector@1", header(woken.get(), "X-Config-Sources"));
    }

    private static boolean sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    @Test
    void revisionsSeededWithoutTheirHashAreCompletedAtStartSoDriftIsJudgedByHash() throws Exception {
        ApiClient agent = new ApiClient(a.port());
        HttpResponse<String> r = agent.send(agent.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"seeded\",\"labels\":{\"t\":\"seeded\"}}")));
        assertEquals(201, r.statusCode(), r.body());
        agent.useToken(ApiClient.field(r.body(), "access_token"));
        String id = ApiClient.field(r.body(), "collector_id");
        ok(onA.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 17\n"));
        String sha = effectiveSha(id);
        String revision = header(onA.get("/api/v1/config/" + id), "X-Config-Version");
        // What the migration that introduced layers leaves: the revision without its configuration's hash.
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("UPDATE effective_configs SET effective_sha256 = NULL, pull_interval_s = NULL"
                    + " WHERE collector_id = '" + id + "'");
        }
        try (PgfleetServer restarted = TestServers.start(database)) {
            assertEquals(0, count("SELECT count(*) FROM effective_configs WHERE effective_sha256 IS NULL"),
                    "completed before the server serves");
            ApiClient admin = ApiClient.asAdmin(restarted.port());
            String drifted = "{\"version\":" + revision + ",\"status\":\"APPLIED\",\"error\":\"\",\"effective_sha256\":\"" + "d".repeat(64) + "\"}";
            assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", drifted).statusCode());
            assertTrue(admin.get("/api/v1/collectors?in_sync=false&selector=t=seeded").body().contains(id),
                    "the right version with another configuration is drift");
            String good = "{\"version\":" + revision + ",\"status\":\"APPLIED\",\"error\":\"\",\"effective_sha256\":\"" + sha + "\"}";
            assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", good).statusCode());
            assertTrue(admin.get("/api/v1/collectors?in_sync=true&selector=t=seeded").body().contains(id));
            HttpResponse<String> read = admin.get("/api/v1/config/" + id);
            assertEquals(revision, header(read, "X-Config-Version"), "completing is no new revision");
        }
    }

    @Test
    void anInstanceStartsWhileAnotherServesArrivalsAndStillCompletesTheRevisions() throws Exception {
        String id = "completed-at-start";
        ok(onA.postJson("/api/v1/collectors", "{\"id\":\"" + id + "\"}"));
        ok(onA.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 19\n"));
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("UPDATE effective_configs SET effective_sha256 = NULL WHERE collector_id = '" + id + "'");
        }
        // What an instance serving a registration holds meanwhile: the layers lock, shared.
        try (Connection arrival = database.connect(); Statement s = arrival.createStatement()) {
            arrival.setAutoCommit(false);
            s.execute("SELECT pg_advisory_xact_lock_shared(" + 0x7067666c6c617972L + ")");
            CompletableFuture<PgfleetServer> starting = CompletableFuture.supplyAsync(() -> TestServers.start(database));
            try (PgfleetServer started = starting.get(2, java.util.concurrent.TimeUnit.MINUTES)) {
                assertEquals(0, count("SELECT count(*) FROM effective_configs WHERE effective_sha256 IS NULL"
                        + " AND collector_id = '" + id + "'"), "completed without waiting for the arrival");
            } finally {
                arrival.rollback();
                starting.thenAccept(PgfleetServer::close);
            }
        }
    }

    private static String effectiveSha(String id) {
        Matcher m = Pattern.compile("\"effective_sha256\":\"([0-9a-f]{64})\"")
                .matcher(onA.get("/api/v1/collectors/" + id + "/effective").body());
        assertTrue(m.find());
        return m.group(1);
    }

    private static int count(String sql) throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void aGroupChangeWakesEachMembersWatchOnce() throws Exception {
        List<String> members = List.of("wake-1", "wake-2", "wake-3");
        for (String m : members) {
            ok(onA.postJson("/api/v1/collectors", "{\"id\":\"" + m + "\",\"labels\":{\"t\":\"wake\"}}"));
            ok(onA.putToml("/api/v1/config/" + m, "[postgres]\nport = 6433\n"));
        }
        ok(onA.postJson("/api/v1/groups", "{\"id\":\"wake\",\"selector\":{\"t\":\"wake\"},\"priority\":5}"));
        try (Connection listen = database.connect(); Statement s = listen.createStatement()) {
            s.execute("LISTEN pgfleet_effective");
            Map<String, String> revisions = new HashMap<>();
            for (String m : members) {
                revisions.put(m, header(onB.get("/api/v1/config/" + m), "X-Config-Version"));
            }
            // A group layer publish, then a group change (a new priority and a selector that keeps
            // the same members, which changes no value) and the group's deletion.
            for (int step = 0; step < 3; step++) {
                Map<String, CompletableFuture<HttpResponse<String>>> watches = new HashMap<>();
                for (String m : members) {
                    watches.put(m, watch(onB, m, revisions.get(m), 10));
                }
                switch (step) {
                    case 0 -> ok(onA.putToml("/api/v1/groups/wake/config", "[collector]\npush_interval = 44\n"));
                    case 1 -> {
                        ok(onA.putToml("/api/v1/groups/wake/config", "[collector]\npush_interval = 45\n"));
                        ok(onA.send(onA.request("/api/v1/groups/wake").header("Content-Type", "application/json")
                                .method("PATCH", HttpRequest.BodyPublishers.ofString(
                                        "{\"priority\":6,\"selector\":{\"t\":\"wake\"}}"))));
                    }
                    default -> ok(onA.send(onA.request("/api/v1/groups/wake").DELETE()));
                }
                Map<String, Integer> notified = new HashMap<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (notified.size() < members.size() && System.nanoTime() < deadline) {
                    PGNotification[] notes = listen.unwrap(PGConnection.class).getNotifications(200);
                    for (PGNotification n : notes == null ? new PGNotification[0] : notes) {
                        notified.merge(n.getParameter().substring(0, n.getParameter().lastIndexOf(':')), 1, Integer::sum);
                    }
                }
                // Anything else would arrive with the change's own notifications.
                PGNotification[] late = listen.unwrap(PGConnection.class).getNotifications(300);
                for (PGNotification n : late == null ? new PGNotification[0] : late) {
                    notified.merge(n.getParameter().substring(0, n.getParameter().lastIndexOf(':')), 1, Integer::sum);
                }
                for (String m : members) {
                    HttpResponse<String> answer = watches.get(m).get();
                    assertEquals(200, answer.statusCode(), m + " step " + step);
                    assertEquals(Integer.parseInt(revisions.get(m)) + 1, Integer.parseInt(header(answer, "X-Config-Version")),
                            m + " moves one revision per change, step " + step);
                    assertEquals(1, notified.getOrDefault(m, 0), m + " is announced once, step " + step + ": " + notified);
                    revisions.put(m, header(answer, "X-Config-Version"));
                }
            }
        }
    }
}
