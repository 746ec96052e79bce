package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a compromised agent reports about its host reaches operators (the fleet view, capability
 * refusals): its status reports are held to what each field can hold, and what an earlier release
 * stored raw is shown escaped. Real HTTP on loopback, real PostgreSQL.
 */
class HostileAgentReportsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final AtomicInteger IDS = new AtomicInteger();
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
    }

    /** A registered collector with a first configuration (version 1): an agent reports a revision it was sent. */
    private static ApiClient registeredAgent() {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(),
                "{\"name\":\"reporting-agent-" + IDS.incrementAndGet() + "\"}");
        assertEquals(201, admin.putToml("/api/v1/config/" + agent.subject(), "[collector]\npush_interval = 60\n").statusCode());
        return agent;
    }

    private static HttpResponse<String> report(ApiClient agent, String allowListsJson) {
        return agent.postJson("/api/v1/collectors/" + agent.subject() + "/status", "{\"version\":1,\"status\":\"APPLIED\","
                + "\"effective_sha256\":\"" + "0".repeat(64) + "\",\"allow_lists\":" + allowListsJson + "}");
    }

    private static void assertProblem(HttpResponse<String> r, int status, String mentions) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().contains(mentions), "the problem names " + mentions + ": " + r.body());
    }

    private static long count(String sql) throws SQLException {
        return SERVER.database().count(sql);
    }

    /**
     * A report of a revision that never existed was stored: the fleet view showed the collector
     * applied at 2147483647, above its latest version. It is refused naming the latest revision.
     */
    @Test
    void aReportOfARevisionAboveTheLatestIsRefusedNamingTheLatestAndNothingIsStored() throws SQLException {
        ApiClient agent = registeredAgent();
        String id = agent.subject();
        // When it was last seen (its registration), in microseconds: a refused report does not move it.
        String seen = "SELECT coalesce((extract(epoch FROM last_seen_at) * 1000000)::bigint, 0) FROM collectors"
                + " WHERE id = '" + id + "'";
        long seenBefore = count(seen);

        for (long version : new long[] {2, Integer.MAX_VALUE}) {
            for (String status : new String[] {"APPLIED", "FAILED"}) {
                HttpResponse<String> r = agent.postJson("/api/v1/collectors/" + id + "/status", "{\"version\":" + version
                        + ",\"status\":\"" + status + "\",\"error\":\"" + (status.equals("FAILED") ? "no such key" : "") + "\",\"effective_sha256\":\"" + "0".repeat(64) + "\"}");
                assertProblem(r, 409, "/unknown-revision");
                assertTrue(r.body().contains("\"latest_version\":1"), r.body());
            }
        }
        assertEquals(0, count("SELECT count(*) FROM collector_status WHERE collector_id = '" + id + "'"), "nothing stored");
        assertEquals(seenBefore, count(seen), "not even the collector's last contact");

        assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", "{\"version\":1,\"status\":\"APPLIED\","
                + "\"effective_sha256\":\"" + "0".repeat(64) + "\"}").statusCode(), "the latest revision is reported");
    }

    /**
     * The numbers of a facts report were read for their low 64 bits: a port of 18446744073709556049
     * was stored as 4433, and a server version of 18446744073709711617 as 160001, for the fleet
     * view and the capability checks to believe. Beyond its range, a number is refused like any other.
     */
    @Test
    void aFactsNumberBeyondItsRangeIsRefusedNotTakenForItsLow64Bits() throws SQLException {
        ApiClient agent = registeredAgent();
        String postgres = "\"postgres\":{\"host\":\"localhost\",\"port\":%s,\"server_version_num\":%s,"
                + "\"shared_preload_libraries\":[],\"databases\":[\"postgres\"],\"databases_truncated\":false,\"extensions\":{}}";
        for (String facts : new String[] {
                "{\"schema_version\":18446744073709551617,\"os\":\"Linux\",\"postgres\":null}",
                "{\"schema_version\":1,\"os\":\"Linux\"," + postgres.formatted("18446744073709556049", "160001") + "}",
                "{\"schema_version\":1,\"os\":\"Linux\"," + postgres.formatted("5432", "18446744073709711617") + "}"}) {
            HttpResponse<String> r = agent.postJson("/api/v1/collectors/" + agent.subject() + "/status",
                    "{\"version\":1,\"status\":\"APPLIED\",\"effective_sha256\":\"" + "0".repeat(64) + "\",\"facts\":"
                    + facts + "}");
            assertProblem(r, 400, "whole number");
        }
        assertEquals(0, count("SELECT count(*) FROM collector_status WHERE collector_id = '" + agent.subject() + "'"),
                "nothing stored");
    }

    @Test
    void allowListsHoldOnlyWhatTheirListCanHoldAndOnlyKnownLists() throws SQLException {
        ApiClient agent = registeredAgent();

        // An escape sequence and a right-to-left override were stored, then quoted to every operator
        // whose publish reached the collector.
        HttpResponse<String> r = report(agent, "{\"hosts\":[\"\\u202eevil\",\"\\u001b[2J\"]}");
        assertProblem(r, 400, "allow_lists.hosts");
        assertFalse(r.body().contains("\u202e") || r.body().contains("\u001b"), r.body());
        assertProblem(report(agent, "{\"password_dirs\":[\"/etc/\\u2066x\"]}"), 400, "allow_lists.password_dirs");
        assertProblem(report(agent, "{\"password_env\":[\"PG PASSWORD\"]}"), 400, "allow_lists.password_env");
        // A list the server does not know is one it does not check.
        assertProblem(report(agent, "{\"hosts\":[\"localhost\"],\"bogus\":[]}"), 400, "allow_lists.bogus");
        assertEquals(0, count("SELECT count(*) FROM collector_status WHERE collector_id = '" + agent.subject() + "'"),
                "nothing stored");

        assertEquals(204, report(agent, "{\"password_dirs\":[\"/etc/pgfleet/secrets\"],\"password_env\":[\"PGPASSWORD\","
                + "\"PGFLEET_*\"],\"hosts\":[\"localhost\",\"::1\",\"/var/run/postgresql\"]}").statusCode());
    }

    @Test
    void whatAnEarlierReleaseStoredRawIsShownEscapedAndNeverBreaksAPublish() throws SQLException {
        ApiClient agent = registeredAgent();
        String id = agent.subject();
        assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", "{\"version\":1,\"status\":\"APPLIED\","
                + "\"effective_sha256\":\"" + "0".repeat(64) + "\",\"allow_lists\":{\"hosts\":[\"localhost\"]},"
                + "\"facts\":{\"schema_version\":2,\"os\":\"Linux\",\"postgres\":null}}").statusCode());
        String elsewhere = "[postgres]\nhost = \"db.internal\"\n";
        assertEquals(422, admin.putToml("/api/v1/config/" + id, elsewhere).statusCode(), "the lists are checked");
        try (java.sql.Connection c = SERVER.database().connect(); java.sql.Statement st = c.createStatement()) {
            // Lists and a gap message as an earlier release kept them, with the characters a terminal acts on.
            st.execute("UPDATE collector_status SET allow_lists = jsonb_build_object('password_dirs', jsonb_build_array(),"
                    + " 'password_env', jsonb_build_array(), 'hosts', jsonb_build_array(E'\\u202Eevil', E'\\u001B[2J')),"
                    + " capability_gaps = jsonb_build_array(jsonb_build_object('capability', 'HOST', 'key', 'postgres.host',"
                    + " 'message', E'db is not a host this host allows [\\u202Eevil, \\u001B[2J] (allowed_hosts)'))"
                    + " WHERE collector_id = '" + id + "'");
        }
        HttpResponse<String> fleet = admin.get("/api/v1/collectors?limit=500");
        assertEquals(200, fleet.statusCode(), fleet.body());
        assertTrue(fleet.body().contains("[\\\\u202eevil, \\\\u001b[2J]"), fleet.body());
        assertFalse(fleet.body().contains("\u202e"), fleet.body());
        assertFalse(fleet.body().matches("(?s).*[^\\\\]\\\\u001b.*"), "no raw escape character: " + fleet.body());

        // The stored lists are unknown to today's check rather than a failure of every publish reaching them.
        HttpResponse<String> publish = admin.putToml("/api/v1/config/" + id, elsewhere);
        assertEquals(201, publish.statusCode(), publish.body());
    }
}
