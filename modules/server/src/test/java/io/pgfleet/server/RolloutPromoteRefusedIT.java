package io.pgfleet.server;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator's promote that would give a member of a later wave an invalid effective document
 * (its own layer, published during the rollout, does not compose with the staged version) is
 * refused naming it, and changes nothing: the rollout goes on in its wave, the layer's current
 * version stays, the canary keeps the staged version. Once the own layer is fixed, the promote
 * completes. Over real HTTP and PostgreSQL; the fleet layer is this class's own server's.
 */
class RolloutPromoteRefusedIT {

    @RegisterExtension
    static final RunningServer SERVER = RolloutFleet.server();

    private static final String PASSWORD_ENV = "[collector]\npush_interval = 30\n\n[postgres]\npassword_env = \"PGPASSWORD\"\n";

    private static RolloutFleet fleet;
    private static ApiClient admin;

    @BeforeAll
    static void setUp() {
        admin = SERVER.admin();
        fleet = new RolloutFleet(SERVER.port(), admin);
    }

    private static String audit() {
        HttpResponse<String> r = admin.get("/api/v1/audit?limit=200");
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    void aPromoteThatWouldMakeAMemberInvalidIsRefusedNamingItAndChangesNothingUntilItsOwnLayerIsFixed() {
        assertEquals(201, admin.putToml("/api/v1/fleet/config", RolloutFleet.PASSWORD_FILE_FLEET).statusCode());
        RolloutFleet.Member a1 = fleet.seen("a1", "{\"canary\":\"true\"}");
        RolloutFleet.Member a2 = fleet.seen("a2", "{}");
        int current = fleet.fleetVersion();

        // A long bake and deadline: the driver leaves the rollout in wave 1 while the test steers it.
        long id = fleet.start("fleet", PASSWORD_ENV, RolloutFleet.CANARY_FIRST, 3600, 3600);
        int staged = current + 1;
        assertTrue(a1.document().contains("password_env"), "the canary received the staged version");
        a1.applied();
        fleet.await(id, r -> r.getJsonArray("waves").getJsonObject(0).getInt("applied") == 1, "the canary applied");
        // Valid with the current version, which a2 has; not with the staged one, which it has not received.
        assertEquals(201, admin.putToml("/api/v1/config/" + a2.id, "[postgres]\npassword_file = \"/tmp/x/pw\"\n")
                .statusCode());
        String a1Document = a1.document();
        String a2Document = a2.document();
        int a1Revision = a1.revision();
        int a2Revision = a2.revision();
        String auditBefore = audit();

        HttpResponse<String> refused = fleet.command(id, "promote");

        assertEquals(422, refused.statusCode(), refused.body());
        JsonObject problem = RolloutFleet.json(refused.body());
        assertEquals("https://pgfleet.io/problems/invalid-effective-configuration", problem.getString("type"));
        assertEquals(1, problem.getInt("total"));
        assertEquals(id, problem.getJsonNumber("rollout").longValue());
        assertEquals("running", problem.getString("state"));
        JsonObject member = problem.getJsonArray("members").getJsonObject(0);
        assertEquals(a2.id, member.getString("collector_id"));
        JsonObject error = member.getJsonArray("errors").getJsonObject(0);
        assertEquals("fleet@" + staged, error.getString("layer"), error.toString());
        assertTrue(error.getString("message").contains("set either password_file or password_env, not both"),
                error.toString());
        String detail = problem.getString("detail");
        assertTrue(detail.contains("rollout " + id + " was not promoted and nothing changed (it is still running in wave 1"
                + " of 2)") && detail.contains(a2.id), detail);

        // Nothing changed: the rollout, the layer's current version, both members, the audit trail.
        JsonObject still = fleet.rollout(id);
        assertEquals("running", still.getString("state"), still.toString());
        assertEquals(1, still.getInt("current_wave"));
        assertEquals("", still.getString("reason"));
        assertFalse(still.getJsonArray("timeline").toString().contains("rolled_back"), still.toString());
        assertEquals(current, fleet.fleetVersion());
        assertEquals(a1Document, a1.document());
        assertTrue(a1.document().contains("password_env"), "the canary keeps the staged version");
        assertEquals(a1Revision, a1.revision());
        assertEquals(a2Document, a2.document());
        assertEquals(a2Revision, a2.revision());
        assertEquals(auditBefore, audit(), "a refused promote writes no audit entry");

        // Its own layer fixed, the promote goes through.
        assertEquals(201, admin.putToml("/api/v1/config/" + a2.id, "[postgres]\nport = 6432\n").statusCode());
        HttpResponse<String> promoted = fleet.command(id, "promote");
        assertEquals(200, promoted.statusCode(), promoted.body());
        JsonObject done = RolloutFleet.json(promoted.body());
        assertEquals("completed", done.getString("state"), done.toString());
        assertEquals("promoted by admin in wave 1 of 2", done.getString("reason"));
        assertEquals(staged, fleet.fleetVersion());
        assertTrue(a2.document().contains("password_env") && a2.document().contains("port = 6432"), a2.document());
        assertTrue(a1.document().contains("password_env"));
    }
}
