package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Apply reports, the fleet view and idempotent sample pushes over HTTP against real PostgreSQL. */
class FleetApiIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static ApiClient admin;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
    }


    private static ApiClient registered(String name) {
        return ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"" + name + "\"}");
    }

    private static String idOf(ApiClient collector) {
        return collector.subject();
    }

    private static HttpResponse<String> report(ApiClient c, int version, String status, String error) {
        // What an agent reports: the hash of the configuration it runs, which the server computes too.
        java.util.regex.Matcher sha = java.util.regex.Pattern.compile("\"effective_sha256\":\"([0-9a-f]{64})\"")
                .matcher(admin.get("/api/v1/collectors/" + idOf(c) + "/effective").body());
        String hash = sha.find() ? sha.group(1) : "b".repeat(64);
        return c.postJson("/api/v1/collectors/" + idOf(c) + "/status", "{\"version\": " + version + ", \"status\": \""
                + status + "\", \"error\": \"" + error + "\", \"effective_sha256\": \"" + hash + "\"}");
    }

    @Test
    void theFleetViewShowsLatestVersusAppliedAndFiltersOutOfSync() {
        ApiClient agent = registered("fleet-a");
        String id = idOf(agent);
        admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml());
        assertEquals(204, report(agent, 1, "APPLIED", "").statusCode());
        assertTrue(admin.get("/api/v1/collectors?in_sync=true").body().contains("\"id\":\"" + id + "\""));

        admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml());
        assertEquals(204, report(agent, 2, "FAILED", "password file missing").statusCode());
        String outOfSync = admin.get("/api/v1/collectors?in_sync=false").body();
        assertTrue(outOfSync.contains("\"id\":\"" + id + "\""), outOfSync);
        assertTrue(outOfSync.contains("\"latest_version\":2"), outOfSync);
        assertTrue(outOfSync.contains("\"applied_version\":1"), outOfSync);
        assertTrue(outOfSync.contains("\"apply_status\":\"FAILED\""), outOfSync);
        assertTrue(outOfSync.contains("\"apply_error\":\"password file missing\""), outOfSync);
        assertEquals(400, report(agent, 0, "APPLIED", "").statusCode());
        assertEquals(400, report(agent, 2, "FAILED", "").statusCode(), "a failure says why");
    }

    private static HttpResponse<String> reportFrom(ApiClient c, String agentVersionJson) {
        return c.postJson("/api/v1/collectors/" + idOf(c) + "/status", "{\"version\": 1, \"status\": \"APPLIED\","
                + " \"effective_sha256\": \"" + "b".repeat(64) + "\"" + agentVersionJson + "}");
    }

    /** The agent_version of one collector in the fleet view, as its JSON text ({@code null} or a quoted string). */
    private static String agentVersionOf(String id) {
        String fleet = admin.get("/api/v1/collectors").body();
        String member = fleet.substring(fleet.indexOf("\"id\":\"" + id + "\""));
        return member.replaceFirst("(?s)^.*?\"agent_version\":(null|\"[^\"]*\").*$", "$1");
    }

    @Test
    void theFleetViewShowsTheVersionEachAgentReportsAndOlderAgentsStayUnknown() {
        ApiClient agent = registered("fleet-version");
        String id = idOf(agent);
        admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml());
        assertEquals("null", agentVersionOf(id), "nothing reported yet");

        assertEquals(204, reportFrom(agent, ", \"agent_version\": \"0.1.0-SNAPSHOT\"").statusCode());
        assertEquals("\"0.1.0-SNAPSHOT\"", agentVersionOf(id));

        assertEquals(400, reportFrom(agent, ", \"agent_version\": \"" + "9".repeat(65) + "\"").statusCode());
        assertEquals(400, reportFrom(agent, ", \"agent_version\": \"1.0 <script>\"").statusCode());
        assertEquals(400, reportFrom(agent, ", \"agent_version\": 7").statusCode());
        assertEquals("\"0.1.0-SNAPSHOT\"", agentVersionOf(id), "a refused report changes nothing");

        // An agent older than the field reports without it: its version is unknown, not a stale one.
        assertEquals(204, reportFrom(agent, "").statusCode());
        assertEquals("null", agentVersionOf(id));
    }

    @Test
    void theFleetViewShowsWhatEachHostAllowsAsItsAgentLastReported() {
        ApiClient agent = registered("fleet-allow");
        String id = idOf(agent);
        admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml());
        assertEquals(204, report(agent, 1, "APPLIED", "").statusCode());
        assertTrue(admin.get("/api/v1/collectors").body().contains("\"id\":\"" + id + "\""));
        String lists = "\"allow_lists\":{\"password_dirs\":[\"/etc/pgfleet/secrets\"],"
                + "\"password_env\":[\"PGPASSWORD\",\"PGFLEET_*\"],\"hosts\":[\"localhost\"]}";
        assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", "{\"version\": 1, \"status\": \"APPLIED\", "
                + "\"effective_sha256\": \"" + "b".repeat(64) + "\", " + lists + "}").statusCode());
        String fleet = admin.get("/api/v1/collectors").body();
        assertTrue(fleet.contains(lists), fleet);
        assertEquals(204, report(agent, 1, "APPLIED", "").statusCode(), "an agent that does not say keeps what it said");
        assertTrue(admin.get("/api/v1/collectors").body().contains(lists));
        HttpResponse<String> bad = agent.postJson("/api/v1/collectors/" + id + "/status", "{\"version\": 1, \"status\": "
                + "\"APPLIED\", \"effective_sha256\": \"" + "b".repeat(64) + "\", \"allow_lists\": {\"hosts\": [1]}}");
        assertEquals(400, bad.statusCode(), bad.body());
    }

    @Test
    void aBatchIsStoredOnceHoweverOftenItIsPushed() throws Exception {
        ApiClient agent = registered("fleet-b");
        String id = idOf(agent);
        String batch = "{\"batch_id\": \"b-0001-abcdef\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"labels\": {\"db\": \"postgres\"}, \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"},"
                + "{\"name\": \"pg_up\", \"labels\": {\"db\": \"app\"}, \"value\": 0, \"ts\": \"2026-11-29T10:00:00Z\"}]}";
        HttpResponse<String> first = agent.postJson("/api/v1/metrics/push", batch);
        HttpResponse<String> again = agent.postJson("/api/v1/metrics/push", batch);
        assertEquals(202, first.statusCode(), first.body());
        assertEquals(202, again.statusCode());
        assertTrue(again.body().contains("\"duplicate\":true"));
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM samples WHERE collector_id = '" + id + "'")) {
            rs.next();
            assertEquals(2, rs.getInt(1));
        }
        String stored = admin.get("/api/v1/collectors/" + id + "/metrics?name=pg_up").body();
        assertTrue(stored.contains("\"db\":\"app\"") && stored.contains("\"value\":0"), stored);
        assertEquals(400, agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"x\", \"samples\": []}").statusCode());
        assertEquals(400, agent.postJson("/api/v1/metrics/push",
                "{\"batch_id\": \"b-0002-abcdef\", \"samples\": [{\"name\": \"bad name\", \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"}]}").statusCode());
    }
    @Test
    void batchIdsBelongToTheirCollector() throws Exception {
        ApiClient first = registered("fleet-c");
        ApiClient second = registered("fleet-d");
        String batch = "{\"batch_id\": \"b-shared-0001\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"labels\": {\"db\": \"postgres\"}, \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"}]}";
        assertEquals(202, first.postJson("/api/v1/metrics/push", batch).statusCode());
        HttpResponse<String> other = second.postJson("/api/v1/metrics/push", batch);
        assertEquals(202, other.statusCode(), other.body());
        assertTrue(other.body().contains("\"duplicate\":false"), "another collector's id is not a duplicate: " + other.body());
        for (ApiClient agent : java.util.List.of(first, second)) {
            try (Connection c = SERVER.database().connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM samples WHERE collector_id = '" + idOf(agent) + "'")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "samples of " + idOf(agent));
            }
        }
        assertTrue(second.postJson("/api/v1/metrics/push", batch).body().contains("\"duplicate\":true"),
                "its own retry is still a duplicate");
    }

    /**
     * A paged list's {@code Link} header names the following page relative to the URL the request
     * was made at, so that it resolves right behind a reverse proxy that mounts the server under a
     * path prefix (an absolute path dropped the prefix); the body's {@code next} stays the API path
     * the CLI and the console join with their base URL. Followed against the server itself, the link
     * is the page {@code next} names.
     */
    @Test
    void theNextPageLinkResolvesAgainstTheRequestsOwnUrlWhereverTheServerIsMounted() {
        ApiClient first = ApiClient.registeredCollector(SERVER.port(), "link-a", "{\"site\":\"link\"}");
        ApiClient.registeredCollector(SERVER.port(), "link-b", "{\"site\":\"link\"}");
        ApiClient.registeredCollector(SERVER.port(), "link-c", "{\"site\":\"link\"}");
        admin.putToml("/api/v1/config/" + idOf(first), aDocument().pushInterval(1).toml());
        admin.putToml("/api/v1/config/" + idOf(first), aDocument().pushInterval(2).toml());
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"link-sites\",\"selector\":{\"site\":\"link\"},"
                + "\"priority\":1}").statusCode());
        for (String page : new String[] {"/api/v1/collectors?limit=1", "/api/v1/config/" + idOf(first) + "/versions?limit=1",
                "/api/v1/groups/link-sites/members?limit=1"}) {
            HttpResponse<String> r = admin.get(page);
            assertEquals(200, r.statusCode(), page + ": " + r.body());
            java.util.regex.Matcher field = java.util.regex.Pattern.compile("\"next\":\"([^\"]*)\"").matcher(r.body());
            assertTrue(field.find(), page + ": a next page: " + r.body());
            String next = field.group(1);
            assertTrue(next.startsWith("/api/v1/"), page + ": the body's next is an API path: " + next);
            String link = r.headers().firstValue("Link").orElse("");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("<([^>]*)>; rel=\"next\"").matcher(link);
            assertTrue(m.matches(), page + ": " + link);
            java.net.URI mounted = java.net.URI.create("https://ops.example/pgfleet" + page);
            assertEquals(java.net.URI.create("https://ops.example/pgfleet" + next), mounted.resolve(m.group(1)),
                    page + ": Link " + link + " behind a proxy that adds /pgfleet");
            java.net.URI direct = java.net.URI.create("http://127.0.0.1:" + SERVER.port() + page).resolve(m.group(1));
            assertEquals(admin.get(next).body(), admin.get(direct.getRawPath() + "?" + direct.getRawQuery()).body(),
                    page + ": the link is the page next names");
        }
    }

    /** Says that the collector was last heard from this many seconds ago. */
    private static void lastHeardFrom(String id, int secondsAgo) throws java.sql.SQLException {
        try (Connection c = SERVER.database().connect(); java.sql.PreparedStatement ps = c.prepareStatement(
                "UPDATE collectors SET last_seen_at = now() - make_interval(secs => ?) WHERE id = ?")) {
            ps.setInt(1, secondsAgo);
            ps.setString(2, id);
            assertEquals(1, ps.executeUpdate());
        }
    }

    private static boolean stale(String id) {
        HttpResponse<String> r = admin.get("/api/v1/collectors/" + id);
        assertEquals(200, r.statusCode(), r.body());
        return RolloutFleet.json(r.body()).getBoolean("stale");
    }

    @Test
    void anAgentThatPushesLessOftenThanItPullsIsNotStaleBetweenItsPushesAndARolloutTestsOnIt() throws Exception {
        // Its pulls and watches do not count as contact, its pushes do: it is heard from every 120 s,
        // not every 10 s.
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "fleet-quiet", "{\"cadence\":\"slow-push\"}");
        String id = idOf(agent);
        assertEquals(201, admin.putToml("/api/v1/config/" + id,
                "[collector]\nconfig_pull_interval = 10\npush_interval = 120\n").statusCode());
        assertEquals(204, report(agent, 1, "APPLIED", "").statusCode());

        lastHeardFrom(id, 100);
        assertFalse(stale(id), "100 s after its last push, before its next one, it is not stale");
        HttpResponse<String> group = admin.postJson("/api/v1/groups",
                "{\"id\":\"slow-push\",\"selector\":{\"cadence\":\"slow-push\"}}");
        assertEquals(201, group.statusCode(), group.body());
        HttpResponse<String> rollout = admin.postJson("/api/v1/rollouts", "{\"layer\":\"group/slow-push\","
                + "\"document\":\"[collectors.pg_stats]\\ninterval = 120\\n\",\"waves\":[{\"percent\":100}]}");
        assertEquals(201, rollout.statusCode(), "its wave tests on it rather than finding nobody: " + rollout.body());
        assertEquals(0, RolloutFleet.json(rollout.body()).getJsonArray("waves").getJsonObject(0).getInt("skipped"));
        long started = RolloutFleet.json(rollout.body()).getJsonNumber("id").longValue();
        assertEquals(200, admin.postJson("/api/v1/rollouts/" + started + "/abort", "").statusCode());

        lastHeardFrom(id, 3 * 120 + 1);
        assertTrue(stale(id), "silent for three of its pushes, it is stale");
    }
    @Test
    void aFilterGivenWithoutAValueIsRefusedInsteadOfListingEveryone() {
        // What a script sends when its variable came out empty: it meant a few collectors, not all of them.
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "fleet-filtered", "{\"role\":\"filtered\"}");
        for (String query : java.util.List.of("selector=", "selector=%20", "in_sync=", "never_seen=")) {
            HttpResponse<String> r = admin.get("/api/v1/collectors?" + query);
            assertEquals(400, r.statusCode(), query + ": " + r.body());
            assertTrue(r.body().contains("without a value"), r.body());
        }
        HttpResponse<String> rollouts = admin.get("/api/v1/rollouts?state=");
        assertEquals(400, rollouts.statusCode(), rollouts.body());
        HttpResponse<String> filtered = admin.get("/api/v1/collectors?selector=role=filtered");
        assertEquals(200, filtered.statusCode(), filtered.body());
        assertEquals(1, RolloutFleet.json(filtered.body()).getJsonArray("collectors").size());
        assertEquals(idOf(agent), RolloutFleet.json(filtered.body()).getJsonArray("collectors").getJsonObject(0)
                .getString("id"));
    }
}
