package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration API over real HTTP against a real PostgreSQL. */
class ConfigApiIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final AtomicInteger IDS = new AtomicInteger();
    private static ApiClient api;

    @BeforeAll
    static void start() {
        api = ApiClient.asAdmin(SERVER.port());
    }


    private static String newCollector() {
        String id = "db-" + IDS.incrementAndGet();
        assertEquals(201, api.createCollector(id).statusCode());
        return id;
    }

    private static int versionsStored(String id) throws SQLException {
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void assertProblem(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.body().contains("\"status\":" + status), r.body());
        assertTrue(r.body().contains("\"detail\":"), r.body());
    }

    /**
     * Every read of a versioned document and of its history says {@code Cache-Control: no-cache}: an
     * intermediary may keep it but asks again (with the ETag) before it answers with it.
     */
    @Test
    void readsOfVersionedDocumentsAreRevalidatedByIntermediaries() {
        String id = newCollector();
        assertEquals(201, api.putToml("/api/v1/config/" + id, aDocument().pushInterval(30).toml()).statusCode());
        assertEquals(201, api.putToml("/api/v1/config/" + id, aDocument().pushInterval(20).toml()).statusCode());
        // A group no collector belongs to: its layer changes nobody's effective document.
        assertEquals(201, api.postJson("/api/v1/groups", "{\"id\":\"caching\",\"selector\":{\"nobody\":\"here\"}}")
                .statusCode());
        assertEquals(201, api.putToml("/api/v1/groups/caching/config", "[collector]\npush_interval = 40\n").statusCode());
        for (String path : java.util.List.of("/api/v1/config/" + id, "/api/v1/config/" + id + "/versions/1",
                "/api/v1/config/" + id + "/own", "/api/v1/config/" + id + "/versions",
                "/api/v1/config/" + id + "/diff?from=1&to=2", "/api/v1/collectors/" + id + "/effective",
                "/api/v1/groups/caching/config", "/api/v1/groups/caching/config/versions/1",
                "/api/v1/groups/caching/config/versions", "/api/v1/groups/caching/config/diff?from=1&to=1")) {
            HttpResponse<String> r = api.get(path);
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertEquals("no-cache", r.headers().firstValue("Cache-Control").orElse(""), path);
        }
    }

    @Test
    void publishesAndReturnsTheLatestWithItsHeaders() {
        String id = newCollector();
        String doc = aDocument().pushInterval(30).toml();
        HttpResponse<String> put = api.putToml("/api/v1/config/" + id, doc, "X-Change-Message", "faster pushes");
        assertEquals(201, put.statusCode(), put.body());
        assertEquals("./" + id + "/versions/1", put.headers().firstValue("Location").orElseThrow());
        assertTrue(put.body().contains("\"version\":1"), put.body());
        assertTrue(put.body().contains("\"message\":\"faster pushes\""), put.body());

        HttpResponse<String> get = api.get("/api/v1/config/" + id);
        assertEquals(200, get.statusCode());
        assertEquals(doc, get.body());
        assertEquals("1", get.headers().firstValue("X-Config-Version").orElseThrow());
        assertEquals(put.headers().firstValue("ETag").orElseThrow(), get.headers().firstValue("ETag").orElseThrow());
        assertTrue(get.headers().firstValue("ETag").orElseThrow().matches("\"1-[0-9a-f]{16}\""));
        assertTrue(get.headers().firstValue("Last-Modified").orElseThrow().endsWith("GMT"));
        assertTrue(get.headers().firstValue("Content-Type").orElseThrow().startsWith("application/toml"));
    }

    @Test
    void numbersVersionsOneTwoThreeAndServesEach() {
        String id = newCollector();
        for (int i = 1; i <= 3; i++) {
            HttpResponse<String> put = api.putToml("/api/v1/config/" + id, aDocument().pushInterval(i).toml());
            assertEquals(201, put.statusCode());
            assertEquals(Integer.toString(i), put.headers().firstValue("X-Config-Version").orElseThrow());
        }
        HttpResponse<String> v2 = api.get("/api/v1/config/" + id + "/versions/2");
        assertEquals(200, v2.statusCode());
        assertEquals(aDocument().pushInterval(2).toml(), v2.body());
        assertEquals("2", v2.headers().firstValue("X-Config-Version").orElseThrow());
        assertProblem(api.get("/api/v1/config/" + id + "/versions/9"), 404);
        assertProblem(api.get("/api/v1/config/" + id + "/versions/zero"), 400);
    }

    @Test
    void rejectsPublishWhenIfMatchIsStaleAndStoresNothing() throws SQLException {
        String id = newCollector();
        String v1Tag = api.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml())
                .headers().firstValue("ETag").orElseThrow();
        String v2Tag = api.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml(), "If-Match", v1Tag)
                .headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> stale = api.putToml("/api/v1/config/" + id, aDocument().pushInterval(3).toml(),
                "If-Match", v1Tag);
        assertProblem(stale, 412);
        assertTrue(stale.body().contains("\"current_version\":2"), stale.body());
        assertEquals(2, versionsStored(id));
        assertEquals(v2Tag, api.get("/api/v1/config/" + id).headers().firstValue("ETag").orElseThrow());
    }

    @Test
    void ifMatchOnACollectorWithoutConfigurationFails() throws SQLException {
        String id = newCollector();
        assertProblem(api.putToml("/api/v1/config/" + id, aDocument().toml(), "If-Match", "*"), 412);
        assertEquals(0, versionsStored(id));
    }

    @Test
    void identicalRepublishAnswers200WithTheExistingVersion() throws SQLException {
        String id = newCollector();
        String doc = aDocument().toml();
        HttpResponse<String> first = api.putToml("/api/v1/config/" + id, doc);
        HttpResponse<String> again = api.putToml("/api/v1/config/" + id, doc);
        assertEquals(201, first.statusCode());
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(first.headers().firstValue("ETag"), again.headers().firstValue("ETag"));
        assertTrue(again.body().contains("\"version\":1"), again.body());
        assertEquals(1, versionsStored(id));
    }

    @Test
    void ifNoneMatchWithTheCurrentEtagAnswers304() {
        String id = newCollector();
        String tag = api.putToml("/api/v1/config/" + id, aDocument().toml()).headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> cached = api.get("/api/v1/config/" + id, "If-None-Match", tag);
        assertEquals(304, cached.statusCode());
        assertEquals("", cached.body());
        assertEquals(tag, cached.headers().firstValue("ETag").orElseThrow());

        api.putToml("/api/v1/config/" + id, aDocument().pushInterval(5).toml());
        assertEquals(200, api.get("/api/v1/config/" + id, "If-None-Match", tag).statusCode());
    }

    @Test
    void aReadEvaluatesIfMatchAndIfUnmodifiedSinceBeforeIfNoneMatchAsRfc9110Orders() {
        String id = newCollector();
        String v1 = api.putToml("/api/v1/config/" + id, aDocument().toml()).headers().firstValue("ETag").orElseThrow();
        String path = "/api/v1/config/" + id;
        String tag = api.get(path).headers().firstValue("ETag").orElseThrow();
        String past = "Thu, 01 Jan 1970 00:00:00 GMT";
        String future = "Thu, 01 Jan 2099 00:00:00 GMT";
        // If-Match first: a stale one is 412 whatever If-None-Match says (it was 304).
        HttpResponse<String> stale = api.get(path, "If-Match", "\"stale\"", "If-None-Match", tag);
        assertEquals(412, stale.statusCode(), stale.body());
        assertTrue(stale.body().contains("/problems/precondition-failed") && stale.body().contains(tag.replace("\"", "")), stale.body());
        assertEquals(412, api.get(path, "If-Match", "W/" + tag, "If-None-Match", tag).statusCode(), "If-Match compares strongly");
        // Held, If-None-Match decides.
        HttpResponse<String> current = api.get(path, "If-Match", tag, "If-None-Match", tag);
        assertEquals(304, current.statusCode(), current.body());
        assertEquals(tag, current.headers().firstValue("ETag").orElseThrow());
        assertEquals(200, api.get(path, "If-Match", "\"x\", " + tag).statusCode());
        assertEquals(200, api.get(path, "If-Match", "*").statusCode());
        // If-Unmodified-Since next, only without If-Match.
        assertEquals(412, api.get(path, "If-Unmodified-Since", past, "If-None-Match", tag).statusCode());
        assertEquals(304, api.get(path, "If-Unmodified-Since", future, "If-None-Match", tag).statusCode());
        assertEquals(304, api.get(path, "If-Match", tag, "If-Unmodified-Since", past, "If-None-Match", tag).statusCode(),
                "with If-Match, If-Unmodified-Since is not evaluated");
        HttpResponse<String> notADate = api.get(path, "If-Unmodified-Since", "garbage");
        assertEquals(400, notADate.statusCode(), notADate.body());
        assertTrue(notADate.body().contains("If-Unmodified-Since"), notADate.body());
        HttpResponse<String> notATag = api.get(path, "If-Match", "garbage");
        assertEquals(400, notATag.statusCode(), notATag.body());
        // A version's read compares with that version, not the latest.
        api.putToml(path, aDocument().pushInterval(7).toml());
        assertEquals(200, api.get(path + "/versions/1", "If-Match", v1).statusCode());
        assertEquals(412, api.get(path + "/versions/2", "If-Match", v1, "If-None-Match", v1).statusCode());
        // A layer's read likewise.
        String group = "preconditions-" + id;
        assertEquals(201, api.postJson("/api/v1/groups", "{\"id\":\"" + group + "\",\"selector\":{\"nobody\":\"here\"}}")
                .statusCode());
        String layer = api.putToml("/api/v1/groups/" + group + "/config", "[collector]\npush_interval = 40\n")
                .headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> staleLayer = api.get("/api/v1/groups/" + group + "/config", "If-Match", "\"stale\"",
                "If-None-Match", layer);
        assertEquals(412, staleLayer.statusCode(), staleLayer.body());
        assertEquals(304, api.get("/api/v1/groups/" + group + "/config/versions/1", "If-Match", layer, "If-None-Match", layer)
                .statusCode());
    }

    @Test
    void healthIsOpenAndChecksTheDatabase() {
        ApiClient anonymous = new ApiClient(SERVER.port());
        HttpResponse<String> ready = anonymous.get("/observe/health");
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"status\":\"UP\"") && ready.body().contains("\"name\":\"database\""));
        assertEquals(200, anonymous.get("/observe/health/live").statusCode());
    }

    @Test
    void metricsCountPublishesAndRequestsInPrometheusText() {
        String id = newCollector();
        api.putToml("/api/v1/config/" + id, aDocument().pushInterval(7).toml());
        HttpResponse<String> m = new ApiClient(SERVER.port()).get("/observe/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertTrue(m.body().matches("(?s).*pgfleet_publishes_total (\\d+\\.\\d+|\\d+)(E\\d+)?\n.*"), m.body());
        assertTrue(m.body().contains("pgfleet_http_request_duration_seconds_count{area=\"config\",method=\"PUT\",route=\"/api/v1/config/{id}\",status=\"2xx\"}"), m.body());
        assertTrue(m.body().contains("pgfleet_watches_held"), m.body());
        assertTrue(m.body().contains("jvm_memory_used_bytes"), m.body());
    }

    @Test
    void unknownCollectorAnswers404ProblemOnReadAndWrite() {
        assertProblem(api.get("/api/v1/config/no-such-collector"), 404);
        assertProblem(api.putToml("/api/v1/config/no-such-collector", aDocument().toml()), 404);
    }

    @Test
    void collectorWithoutConfigurationAnswers404() {
        String id = newCollector();
        HttpResponse<String> r = api.get("/api/v1/config/" + id);
        assertProblem(r, 404);
        assertTrue(r.body().contains("no-configuration"), r.body());
    }

    @Test
    void bodyOver256KibAnswers413AndStoresNothing() throws SQLException {
        String id = newCollector();
        String huge = "# " + "x".repeat(256 * 1024) + "\n";
        assertProblem(api.putToml("/api/v1/config/" + id, huge), 413);
        assertEquals(0, versionsStored(id));
    }

    /** A file saved by a Windows editor as "UTF-8 with BOM": refused with what to do, nothing stored. */
    @Test
    void aDocumentStartingWithAByteOrderMarkIsRefusedNamingItAndStoresNothing() throws SQLException {
        String id = newCollector();
        HttpResponse<String> r = api.putToml("/api/v1/config/" + id, "\uFEFF" + aDocument().pushInterval(30).toml());
        assertProblem(r, 422);
        assertTrue(r.body().contains("byte order mark (U+FEFF") && r.body().contains("\"line\":1,\"column\":1"), r.body());
        assertEquals(0, versionsStored(id));
    }

    @Test
    void malformedIdsAndEmptyOrForeignBodiesAreRejected() throws SQLException {
        assertProblem(api.get("/api/v1/config/-db"), 400);
        assertProblem(api.get("/api/v1/config/db%20one"), 400);
        assertProblem(api.get("/api/v1/no-such-endpoint"), 404);
        String id = newCollector();
        assertProblem(api.putToml("/api/v1/config/" + id, "   "), 400);
        assertProblem(api.send(api.request("/api/v1/config/" + id).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{}"))), 415);
        assertProblem(api.putToml("/api/v1/config/" + id, aDocument().toml(), "If-Match", "not-a-tag"), 400);
        assertEquals(0, versionsStored(id));
    }

    @Test
    void provisioningTwiceConflictsAndBadInputIsRejected() {
        String id = newCollector();
        assertProblem(api.createCollector(id), 409);
        assertProblem(api.postJson("/api/v1/collectors", "{\"id\": \"bad id\"}"), 400);
        assertProblem(api.postJson("/api/v1/collectors", "{\"id\": 5}"), 400);
        assertProblem(api.postJson("/api/v1/collectors", "{not json"), 400);
        assertProblem(api.postJson("/api/v1/collectors", "{\"color\": \"red\"}"), 400);
        HttpResponse<String> generated = api.postJson("/api/v1/collectors",
                "{\"name\": \"db-x\", \"labels\": {\"env\": \"prod\"}}");
        assertEquals(201, generated.statusCode(), generated.body());
        assertTrue(generated.body().contains("\"env\":\"prod\""), generated.body());
    }
}
