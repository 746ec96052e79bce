package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;

import java.io.StringReader;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fleet gauges on /observe/metrics count a known mix of collectors, one of each state, as
 * stored in real PostgreSQL: in sync, out of sync for each reason, stale by last seen and pull
 * interval, never seen (made known before its agent, configured or not: neither stale nor out of
 * sync), in sync with nothing published (it runs the defaults; registering, with the secret or an
 * enrolment token, is contact, so an agent that registered and went quiet is seen), revoked, decommissioned (not counted at all); and the fleet view says of each member
 * what the gauges count it as.
 */
class FleetGaugesIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static ApiClient admin;

    @BeforeAll
    static void fleet() throws Exception {
        admin = ApiClient.asAdmin(SERVER.port());
        // In sync: runs its latest effective revision, with the server's hash of it.
        ApiClient inSync = configured("gauge-in-sync", aDocument().toml());
        assertEquals(204, report(inSync, 1, "APPLIED", true).statusCode());
        // Out of sync, each for its own reason: a failed apply; the right version with another hash;
        // an applied version that is no longer the latest.
        assertEquals(204, report(configured("gauge-failed", aDocument().toml()), 1, "FAILED", true).statusCode());
        assertEquals(204, report(configured("gauge-drifted", aDocument().toml()), 1, "APPLIED", false).statusCode());
        ApiClient behind = configured("gauge-behind", aDocument().toml());
        assertEquals(204, report(behind, 1, "APPLIED", true).statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/" + behind.subject(), aDocument().pushInterval(2).toml())
                .statusCode());
        // Never seen: made known before its agent exists, without and with a configuration.
        assertEquals(201, admin.createCollector("gauge-never-seen").statusCode());
        assertEquals(201, admin.createCollector("gauge-provisioned").statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/gauge-provisioned", aDocument().toml()).statusCode());
        // Seen: registered (with the secret, or made known and then enrolled), never heard from again.
        ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"gauge-registered-only\"}");
        assertEquals(201, admin.createCollector("gauge-enrolled").statusCode());
        HttpResponse<String> issued = admin.postJson("/api/v1/collectors/gauge-enrolled/enrolment-token", "");
        assertEquals(201, issued.statusCode(), issued.body());
        ApiClient agent = new ApiClient(SERVER.port());
        HttpResponse<String> enrolled = agent.send(agent.request("/api/v1/collectors/register")
                .header("Content-Type", "application/json")
                .header("X-Enrolment-Token", issued.body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(201, enrolled.statusCode(), enrolled.body());
        // In sync with nothing published: its agent pushes what it collects with the defaults.
        ApiClient unconfigured = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"gauge-unconfigured\"}");
        assertEquals(202, unconfigured.postJson("/api/v1/metrics/push", "{\"batch_id\":\"gauge-batch\",\"samples\":[{\"name\":\"pg_up\",\"labels\":{},\"value\":1,\"ts\":\""
                + java.time.Instant.now() + "\"}]}")
                .statusCode());
        // In sync but stale: last seen an hour ago, three default pull intervals (15 min) past.
        ApiClient quiet = configured("gauge-quiet", aDocument().toml());
        assertEquals(204, report(quiet, 1, "APPLIED", true).statusCode());
        seenAgo(quiet.subject(), 60);
        // Last seen 20 minutes ago, but it pulls every 10 minutes: not stale (30 min would be).
        ApiClient slow = configured("gauge-slow", "[collector]\nconfig_pull_interval = 600\n");
        assertEquals(204, report(slow, 1, "APPLIED", true).statusCode());
        seenAgo(slow.subject(), 20);
        // Revoked: counted as revoked only, whatever it applied.
        ApiClient revoked = configured("gauge-revoked", aDocument().toml());
        assertEquals(204, report(revoked, 1, "APPLIED", true).statusCode());
        assertEquals(204, admin.postJson("/api/v1/collectors/" + revoked.subject() + "/revoke", "{}").statusCode());
        // Decommissioned: no longer part of the fleet.
        ApiClient gone = configured("gauge-gone", aDocument().toml());
        assertEquals(204, report(gone, 1, "FAILED", true).statusCode());
        assertEquals(204, admin.send(admin.request("/api/v1/collectors/" + gone.subject()).DELETE()).statusCode());
    }

    private static ApiClient configured(String name, String toml) {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"" + name + "\"}");
        assertEquals(201, admin.putToml("/api/v1/config/" + agent.subject(), toml).statusCode());
        return agent;
    }

    /** An apply report, with the server's hash of the effective configuration or another one. */
    private static HttpResponse<String> report(ApiClient agent, int version, String status, boolean serversHash) {
        Matcher sha = Pattern.compile("\"effective_sha256\":\"([0-9a-f]{64})\"")
                .matcher(admin.get("/api/v1/collectors/" + agent.subject() + "/effective").body());
        assertTrue(sha.find(), "the server computed the effective configuration's hash");
        String hash = serversHash ? sha.group(1) : "b".repeat(64);
        return agent.postJson("/api/v1/collectors/" + agent.subject() + "/status", "{\"version\": " + version
                + ", \"status\": \"" + status + "\", \"error\": \"" + (status.equals("FAILED") ? "password file missing" : "")
                + "\", \"effective_sha256\": \"" + hash + "\"}");
    }

    private static void seenAgo(String id, int minutes) throws Exception {
        try (Connection c = SERVER.database().connect(); PreparedStatement s = c.prepareStatement(
                "UPDATE collectors SET last_seen_at = now() - make_interval(mins => ?) WHERE id = ?")) {
            s.setInt(1, minutes);
            s.setString(2, id);
            assertEquals(1, s.executeUpdate());
        }
    }

    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.E+-]+)$").matcher(text);
        assertTrue(m.find(), "no " + series + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void theGaugesCountEachStateOfTheFleet() {
        // The first scrape of this server reads the fleet's counts now, after everything above.
        String text = new ApiClient(SERVER.port()).get("/observe/metrics").body();
        assertEquals(1, value(text, "pgfleet_fleet_query_up"), text);
        assertEquals(6, value(text, "pgfleet_collectors{state=\"in_sync\"}"), text);
        assertEquals(3, value(text, "pgfleet_collectors{state=\"out_of_sync\"}"), text);
        assertEquals(2, value(text, "pgfleet_collectors{state=\"never_seen\"}"), text);
        assertEquals(1, value(text, "pgfleet_collectors{state=\"stale\"}"), text);
        assertEquals(1, value(text, "pgfleet_collectors{state=\"revoked\"}"), text);
        assertEquals(0, value(text, "pgfleet_collectors{state=\"left_behind\"}"), text);
        assertEquals(5, value(text, "pgfleet_collectors_by_apply_status{status=\"APPLIED\"}"), text);
        assertEquals(1, value(text, "pgfleet_collectors_by_apply_status{status=\"FAILED\"}"), text);
        assertEquals(5, value(text, "pgfleet_collectors_by_apply_status{status=\"none\"}"), text);
        // The fleet view, read member by member, says of each what the gauges count it as.
        JsonArray fleet = Json.createReader(new StringReader(admin.get("/api/v1/collectors").body())).readObject()
                .getJsonArray("collectors");
        Map<String, String> states = new TreeMap<>();
        for (JsonObject c : fleet.getValuesAs(JsonObject.class)) {
            states.put(c.getString("name"), c.getBoolean("revoked") ? "revoked"
                    : (c.getBoolean("never_seen") ? "never_seen" : c.getBoolean("in_sync") ? "in_sync" : "out_of_sync")
                    + (c.getBoolean("stale") ? "+stale" : ""));
        }
        assertEquals(new TreeMap<>(Map.ofEntries(Map.entry("gauge-in-sync", "in_sync"),
                Map.entry("gauge-failed", "out_of_sync"), Map.entry("gauge-drifted", "out_of_sync"),
                Map.entry("gauge-behind", "out_of_sync"), Map.entry("gauge-never-seen", "never_seen"),
                Map.entry("gauge-provisioned", "never_seen"), Map.entry("gauge-registered-only", "in_sync"),
                Map.entry("gauge-enrolled", "in_sync"),
                Map.entry("gauge-unconfigured", "in_sync"), Map.entry("gauge-quiet", "in_sync+stale"),
                Map.entry("gauge-slow", "in_sync"), Map.entry("gauge-revoked", "revoked"))), states);
        // What the out_of_sync alert points at: the collectors seen and not in sync, none never seen.
        String outOfSync = admin.get("/api/v1/collectors?in_sync=false&never_seen=false").body();
        for (String name : java.util.List.of("gauge-failed", "gauge-drifted", "gauge-behind")) {
            assertTrue(outOfSync.contains("\"" + name + "\""), name + " in " + outOfSync);
        }
        for (String name : java.util.List.of("gauge-never-seen", "gauge-provisioned", "gauge-unconfigured")) {
            assertFalse(outOfSync.contains("\"" + name + "\""), name + " in " + outOfSync);
        }
    }
}
