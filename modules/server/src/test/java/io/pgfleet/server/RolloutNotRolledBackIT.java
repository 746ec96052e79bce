package io.pgfleet.server;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rollout of the fleet layer that rolls back (by itself, then by an abort) while a canary's own
 * layer, published over the staged version, no longer composes with the version published again:
 * that canary keeps what it runs, the server serves it with the sources that made it, and the
 * rollout, its timeline and the audit trail name it. Over real HTTP and PostgreSQL, with collectors
 * reporting through the API as agents do; the fleet layer is this class's own server's.
 */
class RolloutNotRolledBackIT {

    @RegisterExtension
    static final RunningServer SERVER = RolloutFleet.server();

    private static final String WITHOUT_PASSWORD_FILE = "[collector]\npush_interval = 30\n";
    private static final String PASSWORD_ENV = "[postgres]\npassword_env = \"PGPASSWORD\"\n";

    private static RolloutFleet fleet;
    private static ApiClient admin;

    @BeforeAll
    static void setUp() {
        admin = SERVER.admin();
        fleet = new RolloutFleet(SERVER.port(), admin);
    }

    private static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElse("");
    }

    private static HttpResponse<String> served(RolloutFleet.Member m) {
        HttpResponse<String> r = m.client.get("/api/v1/config/" + m.id);
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    /** What the agent receives, its number and its sources: all three stay as they were. */
    private static void keeps(RolloutFleet.Member m, HttpResponse<String> before) {
        HttpResponse<String> after = served(m);
        assertEquals(header(before, "X-Config-Version"), header(after, "X-Config-Version"));
        assertEquals(before.body(), after.body());
        assertEquals(header(before, "X-Config-Sources"), header(after, "X-Config-Sources"),
                "the sources served still describe the document served");
        JsonObject effective = m.effective();
        assertEquals(Integer.parseInt(header(after, "X-Config-Version")), effective.getInt("revision"));
        assertFalse(effective.getBoolean("valid"), "its layers as they are now do not compose: " + effective);
    }

    private static void names(JsonObject back, RolloutFleet.Member m, int staged, int published) {
        JsonObject stranded = back.getJsonObject("not_rolled_back");
        assertEquals(1, stranded.getInt("total"), back.toString());
        JsonObject member = stranded.getJsonArray("members").getJsonObject(0);
        assertEquals(m.id, member.getString("collector_id"));
        String error = member.getString("error");
        assertTrue(error.contains("does not compose with fleet@" + published + ": ")
                && error.contains("password_file") && error.contains("still runs fleet@" + staged + ", the staged version")
                && error.contains("collector@"), error);
        String detail = back.getJsonArray("timeline").getValuesAs(JsonObject.class).stream()
                .filter(e -> e.getString("kind").equals("rolled_back")).findFirst().orElseThrow().getString("detail");
        assertTrue(detail.contains("; 1 member could not be rolled back: " + m.id + " ("), detail);
        String audit = admin.get("/api/v1/audit?limit=200&action=rollout.rollback").body();
        assertTrue(audit.contains("rollout " + back.getJsonNumber("id").longValue() + ": ")
                && audit.contains("1 member could not be rolled back: " + m.id), audit);
    }

    /** The collector's entry in the fleet view ({@code GET /api/v1/collectors}). */
    private static JsonObject inFleet(RolloutFleet.Member m) {
        HttpResponse<String> r = admin.get("/api/v1/collectors?limit=5000");
        assertEquals(200, r.statusCode(), r.body());
        return RolloutFleet.json(r.body()).getJsonArray("collectors").getValuesAs(JsonObject.class).stream()
                .filter(c -> c.getString("id").equals(m.id)).findFirst().orElseThrow();
    }

    /** The fleet view flags it as left behind by that rollout on its staged version, saying why. */
    private static void leftBehind(RolloutFleet.Member m, long rollout, String staged) {
        JsonObject entry = inFleet(m);
        assertFalse(entry.isNull("left_behind"), entry.toString());
        JsonObject left = entry.getJsonObject("left_behind");
        assertEquals(rollout, left.getJsonNumber("rollout").longValue(), entry.toString());
        assertEquals(staged, left.getString("staged"));
        assertTrue(left.getString("reason").contains("rollout " + rollout + " was rolled back")
                && left.getString("reason").contains(staged), left.toString());
    }

    private static void notLeftBehind(RolloutFleet.Member m) {
        JsonObject entry = inFleet(m);
        assertTrue(entry.isNull("left_behind"), entry.toString());
    }

    @Test
    void aCanaryWhoseOwnLayerChangedDuringTheRolloutKeepsTheStagedVersionWhenItRollsBackAndIsNamed() {
        assertEquals(201, admin.putToml("/api/v1/fleet/config", RolloutFleet.PASSWORD_FILE_FLEET).statusCode());
        fleet.group("prod", "{\"env\":\"prod\"}");
        assertEquals(201, admin.putToml("/api/v1/groups/prod/config", "[collector]\npush_interval = 30\n").statusCode());
        RolloutFleet.Member a1 = fleet.seen("a1", "{\"env\":\"prod\",\"canary\":\"true\"}");
        RolloutFleet.Member a5 = fleet.seen("a5", "{\"env\":\"prod\",\"canary\":\"true\"}");
        RolloutFleet.Member b1 = fleet.seen("b1", "{\"env\":\"prod\"}");
        String a1Document = a1.document();
        int b1Revision = b1.revision();
        int current = fleet.fleetVersion();

        long id = fleet.start("fleet", WITHOUT_PASSWORD_FILE, RolloutFleet.CANARY_FIRST, 300, 60);
        int staged = current + 1;
        String stagedSha = a5.sha();
        assertEquals(201, admin.putToml("/api/v1/config/" + a5.id, PASSWORD_ENV).statusCode(),
                "valid over the staged version it received");
        HttpResponse<String> before = served(a5);
        assertTrue(header(before, "X-Config-Sources").startsWith("fleet@" + staged + ", "), header(before, "X-Config-Sources"));
        assertFalse(before.body().contains("password_file"), before.body());

        a1.applied();
        a5.failed("PGPASSWORD is not set in the agent's environment", stagedSha);
        JsonObject back = fleet.awaitState(id, "rolled_back");

        assertTrue(back.getString("reason").startsWith("wave 1 of 2 failed: 1 of 2 members failed"), back.toString());
        assertEquals(staged + 1, fleet.fleetVersion());
        assertEquals(a1Document, a1.document(), "the other canary went back");
        assertEquals(b1Revision, b1.revision(), "the next wave never moved");
        keeps(a5, before);
        names(back, a5, staged, staged + 1);
        leftBehind(a5, id, "fleet@" + staged);
        notLeftBehind(a1);
        notLeftBehind(b1);
        // The first scrape of this server counts the fleet now: the gauge an alert watches.
        String metrics = new ApiClient(SERVER.port()).get("/observe/metrics").body();
        assertTrue(metrics.contains("\npgfleet_collectors{state=\"left_behind\"} 1.0\n"), metrics);

        // Its own layer fixed, it composes with the current version again and receives it.
        assertEquals(201, admin.putToml("/api/v1/config/" + a5.id, "[collector]\npush_interval = 30\n").statusCode());
        HttpResponse<String> fixed = served(a5);
        assertTrue(fixed.body().contains("password_file"), fixed.body());
        assertTrue(header(fixed, "X-Config-Sources").startsWith("fleet@" + (staged + 1) + ", "),
                header(fixed, "X-Config-Sources"));
        assertTrue(a5.effective().getBoolean("valid"));
        notLeftBehind(a5);

        // An abort leaves such a member behind in the same way.
        long second = fleet.start("fleet", WITHOUT_PASSWORD_FILE, RolloutFleet.CANARY_FIRST, 300, 60);
        int secondStaged = staged + 2;
        assertEquals(201, admin.putToml("/api/v1/config/" + a1.id, PASSWORD_ENV).statusCode());
        HttpResponse<String> a1Before = served(a1);
        JsonObject aborted = RolloutFleet.json(fleet.command(second, "abort").body());
        assertEquals("rolled_back", aborted.getString("state"), aborted.toString());
        keeps(a1, a1Before);
        names(fleet.rollout(second), a1, secondStaged, secondStaged + 1);
        leftBehind(a1, second, "fleet@" + secondStaged);
        assertTrue(a5.document().contains("password_file"), "the other canary went back");
        assertEquals(List.of(), fleet.rollout(id).getJsonObject("not_rolled_back").getJsonArray("members").stream()
                .filter(v -> v.asJsonObject().getString("collector_id").equals(a1.id)).toList());
    }
}
