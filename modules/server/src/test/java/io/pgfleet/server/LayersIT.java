package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fleet configuration layers over real HTTP and PostgreSQL: the acceptance of fleet, groups and effective documents. */
class LayersIT {

    private static TestDatabase database;
    private static PgfleetServer server;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        server = TestServers.start(database);
        admin = ApiClient.asAdmin(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> patch(ApiClient c, String path, String json) {
        return c.send(c.request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    private static HttpResponse<String> delete(ApiClient c, String path) {
        return c.send(c.request(path).DELETE());
    }

    private static void created(HttpResponse<String> r) {
        assertEquals(201, r.statusCode(), r.body());
    }

    private static void collector(String id, String labelsJson) {
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"" + id + "\",\"labels\":" + labelsJson + "}"));
    }

    private static void group(String id, String selectorJson, int priority) {
        created(admin.postJson("/api/v1/groups", "{\"id\":\"" + id + "\",\"selector\":" + selectorJson
                + ",\"priority\":" + priority + ",\"description\":\"test\"}"));
    }

    private static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElse("");
    }

    private static String keyOf(String json, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\\{\"value\":(.*?),\"source\":\"([^\"]+)\"}").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return m.group(1) + " from " + m.group(2);
    }

    private static ApiClient registered(String name, String labelsJson) {
        return ApiClient.registeredCollector(server.port(), name, labelsJson);
    }

    private static String idOf(ApiClient collector) {
        return collector.subject();
    }

    private static int count(String sql) throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void withoutOtherLayersTheEffectiveDocumentIsTheOwnDocumentByteForByte() {
        collector("plain-1", "{\"solo\":\"yes\"}");
        String doc = "# hand-written\n[collector]\npush_interval = 7   # fast\n";
        created(admin.putToml("/api/v1/config/plain-1", doc));

        HttpResponse<String> eff = admin.get("/api/v1/config/plain-1");
        HttpResponse<String> own = admin.get("/api/v1/config/plain-1/own");

        assertEquals(doc, eff.body());
        assertEquals("1", header(eff, "X-Config-Version"));
        assertEquals("collector@1", header(eff, "X-Config-Sources"));
        assertEquals(header(own, "ETag"), header(eff, "ETag"), "the numbers and bytes coincide");
    }

    @Test
    void layersMergeInOrderAndEveryKeyNamesItsSource() {
        collector("merge-1", "{\"env\":\"merge\",\"region\":\"eu\"}");
        group("merge-eu", "{\"region\":\"eu\",\"env\":\"merge\"}", 5);
        group("merge-env", "{\"env\":\"merge\"}", 10);
        created(admin.putToml("/api/v1/groups/merge-eu/config", "[collector]\npush_interval = 25\n[postgres]\nport = 6432\n"));
        created(admin.putToml("/api/v1/groups/merge-env/config", "[collector]\npush_interval = 20\n"));
        created(admin.putToml("/api/v1/config/merge-1", "[postgres]\nhost = \"db.internal\"\n"));

        HttpResponse<String> eff = admin.get("/api/v1/config/merge-1");
        assertEquals(200, eff.statusCode(), eff.body());
        assertEquals("group/merge-eu@1, group/merge-env@1, collector@1", header(eff, "X-Config-Sources"));
        assertTrue(eff.body().contains("push_interval = 20"), eff.body());
        assertTrue(eff.body().contains("port = 6432") && eff.body().contains("host = \"db.internal\""), eff.body());

        String explained = admin.get("/api/v1/collectors/merge-1/effective").body();
        assertEquals("20 from group/merge-env@1", keyOf(explained, "collector.push_interval"));
        assertEquals("6432 from group/merge-eu@1", keyOf(explained, "postgres.port"));
        assertEquals("\"db.internal\" from collector@1", keyOf(explained, "postgres.host"));
        assertEquals("300 from default", keyOf(explained, "collector.config_pull_interval"));

        // A key removed from an upper layer falls back to the lower one.
        created(admin.putToml("/api/v1/groups/merge-env/config", "[collectors.pg_locks]\nenabled = true\n"));
        String after = admin.get("/api/v1/collectors/merge-1/effective").body();
        assertEquals("25 from group/merge-eu@1", keyOf(after, "collector.push_interval"));
        assertTrue(admin.get("/api/v1/config/merge-1").body().contains("push_interval = 25"));
    }

    @Test
    void aLayerThatWouldMakeAMemberInvalidIsRefusedAndNothingIsStored() throws Exception {
        collector("strict-1", "{\"env\":\"strict\"}");
        group("strict", "{\"env\":\"strict\"}", 0);
        created(admin.putToml("/api/v1/config/strict-1", "[postgres]\npassword_env = \"PGPASSWORD\"\n"));
        String before = header(admin.get("/api/v1/config/strict-1"), "ETag");
        int auditBefore = count("SELECT count(*) FROM audit_log");

        HttpResponse<String> r = admin.putToml("/api/v1/groups/strict/config",
                "# secrets live in files here\n[postgres]\npassword_file = \"/etc/pgfleet/secrets/pw\"\n");

        assertEquals(422, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"collector_id\":\"strict-1\""), r.body());
        assertTrue(r.body().contains("\"layer\":\"collector@1\"") && r.body().contains("password_env"), r.body());
        assertEquals(404, admin.get("/api/v1/groups/strict/config").statusCode(), "no version was stored");
        assertEquals(before, header(admin.get("/api/v1/config/strict-1"), "ETag"));
        assertEquals(auditBefore, count("SELECT count(*) FROM audit_log"));

        // A layer invalid by itself names its own line and column.
        HttpResponse<String> bad = admin.putToml("/api/v1/groups/strict/config", "[collector]\n\npush_interval = 0\n");
        assertEquals(422, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("\"layer\":\"group/strict@1\"") && bad.body().contains("\"line\":3"), bad.body());

        // The same conflict from the own layer's side is refused as well, naming the other layer.
        collector("strict-3", "{\"env\":\"files\"}");
        group("strict-files", "{\"env\":\"files\"}", 0);
        created(admin.putToml("/api/v1/groups/strict-files/config", "[postgres]\npassword_file = \"/etc/pw\"\n"));
        HttpResponse<String> own = admin.putToml("/api/v1/config/strict-3", "[postgres]\npassword_env = \"PGPASSWORD\"\n");
        assertEquals(422, own.statusCode(), own.body());
        assertTrue(own.body().contains("group/strict-files@1") || own.body().contains("collector@1"), own.body());
        assertEquals(404, admin.get("/api/v1/config/strict-3/own").statusCode(), "nothing stored");
    }

    @Test
    void aLabelChangeMovesACollectorBetweenGroupsAndAnswersItsWatch() throws Exception {
        collector("mover-1", "{\"tier\":\"blue\"}");
        group("tier-blue", "{\"tier\":\"blue\"}", 0);
        group("tier-green", "{\"tier\":\"green\"}", 0);
        created(admin.putToml("/api/v1/groups/tier-blue/config", "[collectors.sysstat]\ninterval = 11\n"));
        created(admin.putToml("/api/v1/groups/tier-green/config", "[collectors.sysstat]\ninterval = 22\n"));
        HttpResponse<String> now = admin.get("/api/v1/config/mover-1");
        assertTrue(now.body().contains("interval = 11"), now.body());
        int revision = Integer.parseInt(header(now, "X-Config-Version"));

        HttpClient http = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<String>> watch = http.sendAsync(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + server.port() + "/api/v1/config/mover-1?wait=30&after=" + revision))
                .header("Authorization", "Bearer " + admin.token()).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> moved = patch(admin, "/api/v1/collectors/mover-1", "{\"labels\":{\"tier\":\"green\"}}");
        assertEquals(200, moved.statusCode(), moved.body());

        HttpResponse<String> answered = watch.get(20, TimeUnit.SECONDS);
        assertEquals(200, answered.statusCode(), answered.body());
        assertEquals(Integer.toString(revision + 1), header(answered, "X-Config-Version"));
        assertTrue(answered.body().contains("interval = 22"), answered.body());
        assertTrue(admin.get("/api/v1/groups/tier-green/members").body().contains("\"mover-1\""));
        assertFalse(admin.get("/api/v1/groups/tier-blue/members").body().contains("\"mover-1\""));
        assertTrue(admin.get("/api/v1/collectors?selector=tier=green").body().contains("\"id\":\"mover-1\""));
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.labels' AND collector_id = 'mover-1'"));
    }

    @Test
    void aGroupLayerRollsBackAsANewVersion() {
        collector("roll-1", "{\"team\":\"roll\"}");
        group("roll", "{\"team\":\"roll\"}", 0);
        created(admin.putToml("/api/v1/groups/roll/config", "[collectors.pg_connections]\ninterval = 15\n"));
        created(admin.putToml("/api/v1/groups/roll/config", "[collectors.pg_connections]\ninterval = 45\n"));
        assertTrue(admin.get("/api/v1/config/roll-1").body().contains("interval = 45"));

        HttpResponse<String> r = admin.postJson("/api/v1/groups/roll/config/rollback", "{\"to_version\":1,\"message\":\"too slow\"}");

        assertEquals(201, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"version\":3") && r.body().contains("\"source\":\"rollback:1\""), r.body());
        assertTrue(admin.get("/api/v1/config/roll-1").body().contains("interval = 15"));
        String history = admin.get("/api/v1/groups/roll/config/versions").body();
        assertTrue(history.indexOf("\"version\":3") < history.indexOf("\"version\":2"), history);
        assertTrue(admin.get("/api/v1/groups/roll/config/diff?from=2&to=3").body().contains("-interval = 45"));
        assertEquals(404, admin.postJson("/api/v1/groups/roll/config/rollback", "{\"to_version\":9}").statusCode());
    }

    @Test
    void theOwnLayerAcceptsTheOwnOrTheEffectiveEtag() {
        collector("etag-1", "{\"etag\":\"x\"}");
        created(admin.putToml("/api/v1/config/etag-1", "[collector]\npush_interval = 9\n"));
        String ownTag = header(admin.get("/api/v1/config/etag-1/own"), "ETag");
        // Without other layers the tags coincide: today's editors keep working.
        created(admin.putToml("/api/v1/config/etag-1", "[collector]\npush_interval = 8\n", "If-Match", ownTag));
        String own2 = header(admin.get("/api/v1/config/etag-1/own"), "ETag");
        assertEquals(own2, header(admin.get("/api/v1/config/etag-1"), "ETag"));

        group("etag", "{\"etag\":\"x\"}", 0);
        created(admin.putToml("/api/v1/groups/etag/config", "[collectors.disk_usage]\nenabled = false\n"));
        HttpResponse<String> eff = admin.get("/api/v1/config/etag-1");
        String effTag = header(eff, "ETag");
        assertNotEquals(own2, effTag, "another layer contributes: the effective revision moved on");

        created(admin.putToml("/api/v1/config/etag-1", "[collector]\npush_interval = 7\n", "If-Match", effTag));
        HttpResponse<String> stale = admin.putToml("/api/v1/config/etag-1", "[collector]\npush_interval = 6\n",
                "If-Match", effTag);
        assertEquals(412, stale.statusCode(), stale.body());
        String own3 = header(admin.get("/api/v1/config/etag-1/own"), "ETag");
        created(admin.putToml("/api/v1/config/etag-1", "[collector]\npush_interval = 5\n", "If-Match", own3));
        assertEquals("[collector]\npush_interval = 5\n", admin.get("/api/v1/config/etag-1/own").body());
    }

    @Test
    void aCollectorReadsOnlyItsOwnEffectiveDocument() {
        ApiClient agent = registered("confined", "{\"zone\":\"c\"}");
        String self = idOf(agent);
        collector("someone-else", "{\"zone\":\"c\"}");
        group("zone-c", "{\"zone\":\"c\"}", 0);
        created(admin.putToml("/api/v1/groups/zone-c/config", "[collector]\npush_interval = 33\n"));

        HttpResponse<String> mine = agent.get("/api/v1/config/" + self);
        assertEquals(200, mine.statusCode(), mine.body());
        assertTrue(mine.body().contains("push_interval = 33"), "a registered collector gets its groups' values");
        assertEquals(403, agent.get("/api/v1/config/someone-else").statusCode());
        assertEquals(403, agent.get("/api/v1/groups/zone-c/config").statusCode());
        assertEquals(403, agent.get("/api/v1/fleet/config").statusCode());
        assertEquals(403, agent.get("/api/v1/collectors/" + self + "/effective").statusCode());
        assertEquals(403, agent.get("/api/v1/config/" + self + "/own").statusCode());
        assertEquals(403, agent.putToml("/api/v1/groups/zone-c/config", "[collector]\npush_interval = 1\n").statusCode());
        assertEquals(403, patch(agent, "/api/v1/collectors/" + self, "{\"labels\":{}}").statusCode());
    }

    @Test
    void parallelLayerPublishesGetContiguousVersions() throws Exception {
        group("busy", "{\"busy\":\"yes\"}", 0);
        collector("busy-1", "{\"busy\":\"yes\"}");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int n = 10 + i;
            results.add(pool.submit(() -> admin.putToml("/api/v1/groups/busy/config",
                    "[collectors.pg_stats]\ninterval = " + n + "\n").statusCode()));
        }
        for (Future<Integer> f : results) {
            assertEquals(201, f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(24, count("SELECT count(*) FROM layer_revisions WHERE layer = 'group/busy'"));
        assertEquals(24, count("SELECT max(version) FROM layer_revisions WHERE layer = 'group/busy'"));
        assertEquals(24, count("SELECT count(*) FROM audit_log WHERE action = 'layer.publish' AND detail LIKE 'group/busy@%'"));
        // Every publish changed busy-1's document: its effective revision rose once per publish.
        assertEquals(24, count("SELECT revision FROM effective_configs WHERE collector_id = 'busy-1'"));
    }

    @Test
    void ownAndGroupPublishesRacingOnOneCollectorLeaveItsEffectiveDocumentMergedFromBothLatest() throws Exception {
        collector("race-1", "{\"race\":\"yes\"}");
        group("race", "{\"race\":\"yes\"}", 0);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = 10 + i;
            results.add(pool.submit(() -> admin.putToml("/api/v1/config/race-1", "[collector]\npush_interval = " + n + "\n")
                    .statusCode()));
            results.add(pool.submit(() -> admin.putToml("/api/v1/groups/race/config", "[collectors.pg_stats]\ninterval = "
                    + n + "\n").statusCode()));
        }
        for (Future<Integer> f : results) {
            assertEquals(201, f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        String own = admin.get("/api/v1/config/race-1/own").body();
        String layer = admin.get("/api/v1/groups/race/config").body();
        String effective = admin.get("/api/v1/config/race-1").body();
        assertTrue(effective.contains(own.substring(own.indexOf("push_interval")).strip()), effective + " vs " + own);
        assertTrue(effective.contains(layer.substring(layer.indexOf("interval")).strip()), effective + " vs " + layer);
        // Every publish changed the document: 32 changes, revisions 1 … 32 without a gap or a lost update.
        assertEquals(32, count("SELECT revision FROM effective_configs WHERE collector_id = 'race-1'"));
    }

    @Test
    void aDecommissionedCollectorLeavesTheFleetAndItsGroupsAndCannotComeBack() throws Exception {
        ApiClient agent = registered("retiring", "{\"retire\":\"soon\"}");
        String id = idOf(agent);
        group("retire", "{\"retire\":\"soon\"}", 0);
        created(admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 12\n"));
        assertTrue(admin.get("/api/v1/groups/retire/members").body().contains("\"" + id + "\""));

        assertEquals(204, delete(admin, "/api/v1/collectors/" + id).statusCode());

        assertEquals(401, agent.get("/api/v1/config/" + id).statusCode(), "its tokens stop working");
        assertFalse(admin.get("/api/v1/collectors").body().contains("\"id\":\"" + id + "\""));
        assertFalse(admin.get("/api/v1/groups/retire/members").body().contains("\"" + id + "\""));
        assertEquals(410, admin.postJson("/api/v1/collectors", "{\"id\":\"" + id + "\"}").statusCode(),
                "its id is not reusable");
        assertEquals(1, count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"), "history kept");
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.decommission'"));
        assertEquals(410, delete(admin, "/api/v1/collectors/" + id).statusCode(), "a second one says it is gone");
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.decommission'"));
    }

    @Test
    void inSyncComparesTheReportedHashWithTheServersEffectiveHash() {
        ApiClient agent = registered("drifter", "{\"drift\":\"x\"}");
        String id = idOf(agent);
        created(admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 13\n"));
        Matcher sha = Pattern.compile("\"effective_sha256\":\"([0-9a-f]{64})\"")
                .matcher(admin.get("/api/v1/collectors/" + id + "/effective").body());
        assertTrue(sha.find());
        String good = "{\"version\":1,\"status\":\"APPLIED\",\"error\":\"\",\"effective_sha256\":\"" + sha.group(1) + "\"}";
        String drifted = "{\"version\":1,\"status\":\"APPLIED\",\"error\":\"\",\"effective_sha256\":\"" + "c".repeat(64) + "\"}";

        assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", good).statusCode());
        assertTrue(admin.get("/api/v1/collectors?in_sync=true&selector=drift=x").body().contains(id));
        assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", drifted).statusCode());
        assertTrue(admin.get("/api/v1/collectors?in_sync=false&selector=drift=x").body().contains(id));

        // An alert needs no API polling: the fleet's state and the reports are on /observe/metrics.
        String metrics = new ApiClient(server.port()).get("/observe/metrics").body();
        assertTrue(metrics.contains("pgfleet_collectors{state=\"out_of_sync\"}"), metrics);
        assertTrue(metrics.contains("pgfleet_collectors{state=\"stale\"}"), metrics);
        assertTrue(metrics.contains("pgfleet_collectors_by_apply_status{status=\"APPLIED\"}"), metrics);
        assertTrue(metrics.contains("pgfleet_apply_reports_total{status=\"APPLIED\"} 2.0"), metrics);
    }

    @Test
    void anOwnVersionWrittenByAServerOfThePreviousReleaseReachesTheEffectiveDocument() throws Exception {
        collector("upgrade-1", "{\"upgrade\":\"rolling\"}");
        created(admin.putToml("/api/v1/config/upgrade-1", "[collector]\npush_interval = 14\n"));
        String doc = "# written by the previous release\n[collector]\npush_interval = 15\n";
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(doc.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        // Exactly what a server of the previous release does when it publishes: it knows nothing of layers.
        try (Connection c = database.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT latest_version FROM collectors WHERE id = 'upgrade-1' FOR UPDATE");
                s.execute("INSERT INTO config_revisions (collector_id, version, document, content_hash, created_at, created_by,"
                        + " message, source) VALUES ('upgrade-1', 2, '" + doc.replace("'", "''") + "', '" + hash
                        + "', now(), 'old-server', '', 'put')");
                s.execute("UPDATE collectors SET latest_version = 2 WHERE id = 'upgrade-1'");
                s.execute("SELECT pg_notify('pgfleet_config', 'upgrade-1:2')");
            }
            c.commit();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> r;
        do {
            r = admin.get("/api/v1/config/upgrade-1");
            if (r.body().equals(doc)) {
                break;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        assertEquals(doc, r.body());
        assertEquals("2", header(r, "X-Config-Version"), "effective revision = own version while no layer contributes");
        assertEquals("collector@2", header(r, "X-Config-Sources"));
    }

    @Test
    void membersWithEqualOwnDocumentsKeepTheirOwnDocumentsRevisionsAndSourcesThroughAGroupChange() throws Exception {
        // Members whose own documents have the same content are merged once and read and stored with
        // that content sent once: each must still get exactly its own document, version and sources.
        String shared = "[postgres]\nport = 6543\n";
        String other = "# another host\n[postgres]\nport = 7654\n";
        for (int i = 0; i < 4; i++) {
            collector("dedupe-" + i, "{\"dedupe\":\"yes\"}");
        }
        created(admin.putToml("/api/v1/config/dedupe-0", shared));
        created(admin.putToml("/api/v1/config/dedupe-1", shared));
        // The same content as the others, at own version 3.
        created(admin.putToml("/api/v1/config/dedupe-2", other));
        created(admin.putToml("/api/v1/config/dedupe-2", "[postgres]\nport = 1\n"));
        created(admin.putToml("/api/v1/config/dedupe-2", shared));
        created(admin.putToml("/api/v1/config/dedupe-3", other));
        group("dedupe", "{\"dedupe\":\"yes\"}", 1);
        created(admin.putToml("/api/v1/groups/dedupe/config", "[collector]\npush_interval = 33\n"));

        String[] own = {"collector@1", "collector@1", "collector@3", "collector@1"};
        String[] port = {"6543", "6543", "6543", "7654"};
        String[] body = new String[4];
        String[] revision = new String[4];
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> eff = admin.get("/api/v1/config/dedupe-" + i);
            body[i] = eff.body();
            revision[i] = header(eff, "X-Config-Version");
            assertEquals("group/dedupe@1, " + own[i], header(eff, "X-Config-Sources"), "dedupe-" + i);
            assertTrue(body[i].contains("push_interval = 33") && body[i].contains("port = " + port[i]), body[i]);
            assertEquals("33 from group/dedupe@1", keyOf(admin.get("/api/v1/collectors/dedupe-" + i + "/effective").body(),
                    "collector.push_interval"));
            assertEquals(port[i] + " from " + own[i], keyOf(admin.get("/api/v1/collectors/dedupe-" + i + "/effective")
                    .body(), "postgres.port"));
        }
        assertEquals(shared, admin.get("/api/v1/config/dedupe-2/own").body());
        assertEquals(other, admin.get("/api/v1/config/dedupe-3/own").body());
        assertEquals(body[0], body[2], "equal content renders to the same bytes");

        // The same values in another text: only the sources change; each member keeps its revision
        // and its document byte for byte.
        created(admin.putToml("/api/v1/groups/dedupe/config", "# reworded\n[collector]\npush_interval = 33\n"));
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> eff = admin.get("/api/v1/config/dedupe-" + i);
            assertEquals(body[i], eff.body(), "dedupe-" + i);
            assertEquals(revision[i], header(eff, "X-Config-Version"), "dedupe-" + i);
            assertEquals("group/dedupe@2, " + own[i], header(eff, "X-Config-Sources"), "dedupe-" + i);
        }
        // What is stored is what is served, row by row.
        try (Connection c = database.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT collector_id, revision, document, sources FROM effective_configs"
                        + " WHERE collector_id LIKE 'dedupe-%' ORDER BY collector_id")) {
            for (int i = 0; i < 4; i++) {
                assertTrue(rs.next());
                assertEquals("dedupe-" + i, rs.getString("collector_id"));
                assertEquals(revision[i], Integer.toString(rs.getInt("revision")));
                assertEquals(body[i], rs.getString("document"));
                assertEquals("group/dedupe@2, " + own[i], rs.getString("sources"));
            }
            assertFalse(rs.next());
        }
    }

    @Test
    void aDeletedGroupsLayerHistoryStaysReadableForViewersWhileItsLayerCannotChange() {
        collector("stage-1", "{\"tier\":\"stage\"}");
        group("stage", "{\"tier\":\"stage\"}", 10);
        created(admin.putToml("/api/v1/groups/stage/config", "[collector]\npush_interval = 30\n"));
        created(admin.putToml("/api/v1/groups/stage/config", "[collector]\npush_interval = 46\n"));
        assertEquals(201, admin.postJson("/api/v1/users", "{\"username\":\"stage-viewer\",\"password\":"
                + "\"password-of-stage-viewer\",\"role\":\"viewer\"}").statusCode());
        ApiClient viewer = new ApiClient(server.port());
        assertEquals(200, viewer.login("stage-viewer", "password-of-stage-viewer").statusCode());

        assertEquals(204, delete(admin, "/api/v1/groups/stage").statusCode());

        HttpResponse<String> history = viewer.get("/api/v1/groups/stage/config/versions");
        assertEquals(200, history.statusCode(), history.body());
        assertTrue(history.body().contains("\"layer\":\"group/stage\""), history.body());
        assertTrue(history.body().contains("\"version\":2") && history.body().contains("\"version\":1"), history.body());
        String deletedAt = header(history, "X-Group-Deleted-At");
        assertFalse(deletedAt.isEmpty(), "the answer says the group is deleted");
        assertTrue(history.body().contains("\"deleted_at\":\"" + deletedAt + "\""), history.body());
        HttpResponse<String> version = viewer.get("/api/v1/groups/stage/config/versions/2");
        assertEquals(200, version.statusCode(), version.body());
        assertEquals("[collector]\npush_interval = 46\n", version.body());
        assertEquals(deletedAt, header(version, "X-Group-Deleted-At"));
        HttpResponse<String> diff = viewer.get("/api/v1/groups/stage/config/diff?from=1&to=2");
        assertEquals(200, diff.statusCode(), diff.body());
        assertTrue(diff.body().contains("+push_interval = 46"), diff.body());
        assertEquals(404, viewer.get("/api/v1/groups/stage/config/versions/3").statusCode());

        // The group itself and its layer as a current configuration are gone; nothing can change them.
        HttpResponse<String> group = viewer.get("/api/v1/groups/stage");
        assertEquals(404, group.statusCode());
        assertTrue(group.body().contains("was deleted at"), group.body());
        assertEquals(404, viewer.get("/api/v1/groups/stage/config").statusCode());
        assertEquals(404, admin.putToml("/api/v1/groups/stage/config", "[collector]\npush_interval = 47\n").statusCode());
        assertEquals(404, admin.postJson("/api/v1/groups/stage/config/rollback", "{\"to_version\":1}").statusCode());
        assertEquals(404, patch(admin, "/api/v1/groups/stage", "{\"description\":\"back\"}").statusCode());
        assertEquals(2, RolloutFleet.json(viewer.get("/api/v1/groups/stage/config/versions").body())
                .getJsonArray("versions").size(), "nothing was added to the history");
        assertEquals(404, viewer.get("/api/v1/groups/never-existed/config/versions").statusCode());
    }

    @Test
    void theFleetLayerReachesEveryCollectorAndDeletingAGroupIsAChangeLikeAnyOther() {
        // Its own database: the fleet layer reaches every collector, which the other tests must not see.
        try (PgfleetServer fleetServer = TestServers.start(TestPostgres.newDatabase())) {
            fleetLayer(ApiClient.asAdmin(fleetServer.port()));
        }
    }

    private static void fleetLayer(ApiClient admin) {
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"fleetwide-1\",\"labels\":{\"fw\":\"1\"}}"));
        created(admin.postJson("/api/v1/groups", "{\"id\":\"fw\",\"selector\":{\"fw\":\"1\"}}"));
        created(admin.putToml("/api/v1/groups/fw/config", "[collector]\nconfig_pull_interval = 600\n"));
        created(admin.putToml("/api/v1/fleet/config", "# every host\n[collector]\nwatch = false\n"));
        assertTrue(admin.get("/api/v1/collectors/fleetwide-1/effective").body().contains("\"source\":\"fleet@"));
        assertTrue(admin.get("/api/v1/config/fleetwide-1").body().contains("config_pull_interval = 600"));

        assertEquals(204, delete(admin, "/api/v1/groups/fw").statusCode());
        assertFalse(admin.get("/api/v1/config/fleetwide-1").body().contains("config_pull_interval"));
        assertEquals(404, admin.get("/api/v1/groups/fw").statusCode());
        assertEquals(409, admin.postJson("/api/v1/groups", "{\"id\":\"fw\"}").statusCode(), "group ids are not reused");
        assertTrue(admin.get("/api/v1/fleet/config/versions").body().contains("\"layer\":\"fleet\""));
    }
}
