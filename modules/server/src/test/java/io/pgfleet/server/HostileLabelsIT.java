package io.pgfleet.server;

import io.pgfleet.domain.common.Sha256;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Names, host names, labels and group selectors that would show as something else on an operator's
 * screen (a right-to-left override, an escape sequence, a line separator), or that no collector could
 * carry: refused when new, still loaded when an earlier release stored them. Real HTTP on loopback,
 * real PostgreSQL.
 */
class HostileLabelsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final String SECRET_HEADER = "X-Registration-Secret";
    private static final String SECRET = ServerSettings.TEST_REGISTRATION_SECRET;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
    }

    private static long count(String sql) throws SQLException {
        return SERVER.database().count(sql);
    }

    private static HttpResponse<String> register(String body, String... headers) {
        return SERVER.anonymous().register(body, headers);
    }

    private static HttpResponse<String> patch(String path, String json) {
        return admin.send(admin.request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    private static void assertRefused(HttpResponse<String> r, String mentions) {
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains(mentions), "names " + mentions + ": " + r.body());
        assertFalse(r.body().contains("\u202e") || r.body().contains("\u2066"), "quotes nothing raw: " + r.body());
    }

    @Test
    void newCollectorsNamesHostnamesAndLabelValuesCarryNothingATerminalWouldActOn() throws SQLException {
        long collectors = count("SELECT count(*) FROM collectors");
        long audit = count("SELECT count(*) FROM audit_log");

        assertRefused(register("{\"name\":\"\\u202eevil\",\"hostname\":\"db-1\"}", SECRET_HEADER, SECRET), "U+202E");
        assertRefused(register("{\"name\":\"fine\",\"hostname\":\"h\\u2066x\"}", SECRET_HEADER, SECRET), "hostname");
        assertRefused(register("{\"name\":\"fine\",\"labels\":{\"x\":\"a\\u2028b\"}}", SECRET_HEADER, SECRET), "U+2028");
        assertRefused(admin.postJson("/api/v1/collectors", "{\"id\":\"dbx1\",\"name\":\"\\u202eevil\"}"), "name");
        assertRefused(admin.postJson("/api/v1/collectors", "{\"id\":\"dbx2\",\"name\":\"db\",\"hostname\":\"h\\u009bx\"}"),
                "hostname");
        assertEquals(collectors, count("SELECT count(*) FROM collectors"), "nothing created");

        assertEquals(201, admin.createCollector("db-01").statusCode());
        assertRefused(patch("/api/v1/collectors/db-01", "{\"labels\":{\"x\":\"\\u202e\"}}"), "label value of 'x'");
        assertEquals(0, count("SELECT count(*) FROM collectors WHERE labels->>'x' IS NOT NULL"));
        assertEquals(audit + 1, count("SELECT count(*) FROM audit_log"), "only the creation of db-01 audited");
    }

    @Test
    void aRetryOfARegistrationAnEarlierReleaseAcceptedWithSuchANameIsStillReplayed() throws SQLException {
        HttpResponse<String> lost = register("{\"name\":\"legacy\",\"hostname\":\"db-9\"}", SECRET_HEADER, SECRET,
                "Idempotency-Key", "bidi-name-key-0001");
        assertEquals(201, lost.statusCode(), lost.body());
        String id = ApiClient.field(lost.body(), "collector_id");
        // Left as an earlier release would have left it: the name and the key's request with the override.
        try (Connection c = SERVER.database().connect();
             PreparedStatement name = c.prepareStatement("UPDATE collectors SET name = ? WHERE id = ?");
             PreparedStatement key = c.prepareStatement("UPDATE registration_keys SET request_hash = ? WHERE collector_id = ?")) {
            name.setString(1, "\u202elegacy");
            name.setString(2, id);
            assertEquals(1, name.executeUpdate());
            key.setString(1, Sha256.hex(part("\u202elegacy") + part("db-9") + "|"));
            key.setString(2, id);
            assertEquals(1, key.executeUpdate());
        }
        String retry = "{\"name\":\"\\u202elegacy\",\"hostname\":\"db-9\"}";
        HttpResponse<String> replayed = register(retry, SECRET_HEADER, SECRET, "Idempotency-Key", "bidi-name-key-0001");
        assertEquals(201, replayed.statusCode(), "the agent gets its collector back: " + replayed.body());
        assertEquals(id, ApiClient.field(replayed.body(), "collector_id"));
        assertEquals(400, register(retry, SECRET_HEADER, SECRET, "Idempotency-Key", "bidi-name-key-0002").statusCode(),
                "a new registration gets today's rule");
        HttpResponse<String> list = admin.get("/api/v1/collectors?limit=500");
        assertEquals(200, list.statusCode(), "the stored name still loads: " + list.body());
    }

    /** One length-prefixed part of a registration's request hash, as the server computes it. */
    private static String part(String s) {
        return s.length() + ":" + s + ";";
    }

    @Test
    void aGroupSelectorHoldsOnlyLabelsACollectorCanCarryAndStoredOnesStillLoad() throws SQLException {
        for (String value : List.of("prod\\u0001", "\\u001b[31m", "\\u202eprod\\u009b", "v".repeat(201))) {
            HttpResponse<String> r = admin.postJson("/api/v1/groups", "{\"id\":\"odd\",\"selector\":{\"env\":\"" + value + "\"}}");
            assertRefused(r, "no collector could carry");
        }
        assertEquals(0, count("SELECT count(*) FROM config_groups WHERE id = 'odd'"));

        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"prod\",\"selector\":{\"env\":\"prod\"}}").statusCode());
        assertRefused(patch("/api/v1/groups/prod", "{\"selector\":{\"env\":\"\\u202eprod\"}}"), "no collector could carry");
        assertEquals(1, count("SELECT count(*) FROM config_groups WHERE id = 'prod' AND selector = '{\"env\": \"prod\"}'"));

        // A selector an earlier release stored still loads, and the group's other fields can still change.
        try (Connection c = SERVER.database().connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("UPDATE config_groups SET selector = jsonb_build_object('env', E'\\u202Eprod', 'long', repeat('v', 256))"
                    + " WHERE id = 'prod'");
        }
        assertEquals(200, admin.get("/api/v1/groups").statusCode());
        assertEquals(200, admin.get("/api/v1/groups/prod").statusCode());
        HttpResponse<String> priority = patch("/api/v1/groups/prod", "{\"priority\":5}");
        assertEquals(200, priority.statusCode(), priority.body());
        // The stored selector sent back with the group's other fields (a read-change-write client) is not refused.
        HttpResponse<String> whole = patch("/api/v1/groups/prod", "{\"selector\":{\"env\":\"\\u202eprod\",\"long\":\""
                + "v".repeat(256) + "\"},\"priority\":6}");
        assertEquals(200, whole.statusCode(), whole.body());
        assertEquals(1, count("SELECT count(*) FROM config_groups WHERE id = 'prod' AND priority = 6"));
        assertRefused(patch("/api/v1/groups/prod", "{\"selector\":{\"env\":\"\\u202eprod\",\"long\":\"x y\"}}"),
                "no collector could carry");
    }

    @Test
    void thereAreAtMostAThousandGroupsAndTheOneMoreIsRefusedNamingTheLimit() throws SQLException {
        long existing = count("SELECT count(*) FROM config_groups WHERE deleted_at IS NULL");
        // Many groups matching every collector made every agent's configuration answer carry a header
        // longer than a proxy's buffer; made here directly, each through the API would take minutes.
        try (Connection c = SERVER.database().connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("INSERT INTO config_groups (id, selector, priority, description, created_at, updated_at)"
                    + " SELECT 'bulk-' || i, '{}'::jsonb, 0, '', now(), now() FROM generate_series(1, "
                    + (999 - existing) + ") AS i");
        }
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"the-thousandth\"}").statusCode());

        HttpResponse<String> r = admin.postJson("/api/v1/groups", "{\"id\":\"one-more\"}");
        assertEquals(409, r.statusCode(), r.body());
        assertTrue(r.body().contains("too-many-groups") && r.body().contains("\"limit\":1000"), r.body());
        assertEquals(0, count("SELECT count(*) FROM config_groups WHERE id = 'one-more'"));

        HttpResponse<String> deleted = admin.send(admin.request("/api/v1/groups/bulk-1").DELETE());
        assertEquals(204, deleted.statusCode(), deleted.body());
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"one-more\"}").statusCode(), "a deleted group makes room");
        assertEquals(204, admin.send(admin.request("/api/v1/groups/one-more").DELETE()).statusCode(),
                "room left for the other tests of this class");
    }

    @Test
    void aNewLabelValueThatLooksLikeAnotherOrHoldsACommaIsRefusedWhereverLabelsAreSetAndStoredOnesStillLoad()
            throws SQLException {
        long collectors = count("SELECT count(*) FROM collectors");
        long audit = count("SELECT count(*) FROM audit_log");
        // A Cyrillic 'о' in "prod", a zero-width space after it, a comma, a space.
        assertRefused(register("{\"name\":\"lookalike\",\"labels\":{\"env\":\"pr\\u043ed\"}}", SECRET_HEADER, SECRET),
                "U+043E CYRILLIC SMALL LETTER O");
        assertRefused(admin.postJson("/api/v1/collectors", "{\"id\":\"zw1\",\"labels\":{\"env\":\"prod\\u200b\"}}"),
                "U+200B ZERO WIDTH SPACE");
        assertRefused(register("{\"name\":\"comma\",\"labels\":{\"env\":\"prod,eu\"}}", SECRET_HEADER, SECRET),
                "must not contain a comma");
        assertEquals(collectors, count("SELECT count(*) FROM collectors"), "nothing registered or provisioned");

        assertEquals(201, admin.createCollector("look-01").statusCode());
        assertRefused(patch("/api/v1/collectors/look-01", "{\"labels\":{\"env\":\"a b\"}}"), "U+0020 SPACE");
        assertRefused(patch("/api/v1/collectors/look-01", "{\"labels\":{\"env\":\"prod,eu\"}}"), "comma");
        assertRefused(admin.postJson("/api/v1/groups", "{\"id\":\"look\",\"selector\":{\"env\":\"prod,eu\"}}"),
                "comma");
        assertRefused(admin.postJson("/api/v1/groups", "{\"id\":\"look\",\"selector\":{\"env\":\"pr\\u043ed\"}}"),
                "U+043E");
        assertEquals(0, count("SELECT count(*) FROM config_groups WHERE id = 'look'"));
        assertEquals(audit + 1, count("SELECT count(*) FROM audit_log"), "only the creation of look-01 audited");
        assertRefused(admin.get("/api/v1/collectors?selector=env%3Dprod%2Ceu"), "a label value holds no comma");

        // Set by an earlier release: still listed, and still found by a selector that can name it.
        try (Connection c = SERVER.database().connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("UPDATE collectors SET labels = jsonb_build_object('env', 'pr' || chr(1086) || 'd', 'team', 'a b')"
                    + " WHERE id = 'look-01'");
        }
        HttpResponse<String> listed = admin.get("/api/v1/collectors?selector=team%3Da%20b");
        assertEquals(200, listed.statusCode(), listed.body());
        assertTrue(listed.body().contains("\"look-01\""), listed.body());
        // Sent back as they are with another label changed (what `pgfleet collectors label` does): the
        // stored values stay, the new one follows today's rule.
        HttpResponse<String> kept = patch("/api/v1/collectors/look-01",
                "{\"labels\":{\"env\":\"pr\\u043ed\",\"team\":\"a b\",\"site\":\"eu-1\"}}");
        assertEquals(200, kept.statusCode(), kept.body());
        assertEquals(1, count("SELECT count(*) FROM collectors WHERE id = 'look-01' AND labels->>'site' = 'eu-1'"
                + " AND labels->>'team' = 'a b'"));
        assertRefused(patch("/api/v1/collectors/look-01", "{\"labels\":{\"env\":\"pr\\u043ed\",\"team\":\"a c\"}}"),
                "U+0020 SPACE");
        assertEquals(200, patch("/api/v1/collectors/look-01", "{\"labels\":{\"env\":\"prod\"}}").statusCode(),
                "and replaced by labels of today's rule");
    }
}
