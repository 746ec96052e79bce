package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * During a rolling upgrade a server of the next release writes audit entries of actions this release
 * does not know. This release's servers still answer the audit trail: such an entry is listed as
 * {@code unrecognised}, its stored name kept in its detail, and the entries around it as they are.
 * Before, one such row made every page that held it fail.
 */
class NewerAuditActionsIT {

    @Test
    void anAuditEntryOfAnActionOfANewerReleaseIsListedAsUnrecognisedWithItsStoredName() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        try (PgfleetServer server = TestServers.start(db)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"ops\",\"password\":\"password-of-ops\",\"role\":\"operator\"}").statusCode());
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                    "INSERT INTO audit_log (at, actor, address, action, collector_id, username, version, detail)"
                            + " VALUES (now() + interval '1 second', 'pgfleet', 'next-release', 'fleet.frobnicate', '', '', 0,"
                            + " 'a newer release did this')")) {
                s.executeUpdate();
            }

            HttpResponse<String> r = admin.get("/api/v1/audit?limit=100");
            assertEquals(200, r.statusCode(), r.body());
            List<JsonObject> entries = RolloutFleet.json(r.body()).getJsonArray("entries").getValuesAs(JsonObject.class);
            JsonObject newer = entries.getFirst();
            assertEquals("unrecognised", newer.getString("action"), newer.toString());
            assertTrue(newer.getString("detail").contains("fleet.frobnicate")
                    && newer.getString("detail").contains("a newer release did this"), newer.toString());
            assertTrue(entries.stream().anyMatch(e -> e.getString("action").equals("user.create")), entries.toString());

            // Asked for by its stored name, as an operator reading a newer server's docs would.
            HttpResponse<String> filtered = admin.get("/api/v1/audit?action=unrecognised");
            assertEquals(400, filtered.statusCode(), "not a name any entry is stored under: " + filtered.body());
        }
    }
}
