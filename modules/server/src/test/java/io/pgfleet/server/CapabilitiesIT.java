package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Capability-aware validation over real HTTP and PostgreSQL: agents report what their hosts can run,
 * and a change a member could not run is refused naming it, unless forced.
 */
class CapabilitiesIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final String STATEMENTS = "[collectors.pg_stat_statements]\nenabled = true\n";
    private static ApiClient admin;
    private static ApiClient viewer;

    @BeforeAll
    static void start() {
        admin = SERVER.admin();
        assertEquals(201, admin.postJson("/api/v1/users", "{\"username\":\"watcher\",\"password\":\"password-of-watcher\","
                + "\"role\":\"viewer\"}").statusCode());
        viewer = SERVER.anonymous();
        assertEquals(200, viewer.login("watcher", "password-of-watcher").statusCode());
    }

    /** A registered collector with a first configuration: an agent reports a revision it was sent. */
    private static ApiClient registered(String name, String labelsJson) {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), name, labelsJson);
        assertEquals(201, admin.putToml("/api/v1/config/" + agent.subject(), "[collector]\npush_interval = 60\n").statusCode());
        return agent;
    }

    private static String idOf(ApiClient collector) {
        return collector.subject();
    }

    /** What an agent of the given schema reports about a PostgreSQL 16 with these extensions in "postgres". */
    private static String facts(int schema, String extensionsJson) {
        return "{\"schema_version\":" + schema + ",\"os\":\"Linux 6.1 amd64\",\"postgres\":{\"host\":\"localhost\","
                + "\"port\":5432,\"server_version_num\":160004,\"shared_preload_libraries\":[\"pg_stat_statements\"],"
                + "\"databases\":[\"postgres\",\"app\"],\"databases_truncated\":false,\"extensions\":{\"postgres\":"
                + extensionsJson + "}}}";
    }

    private static HttpResponse<String> report(ApiClient agent, String id, String factsJson) {
        return agent.postJson("/api/v1/collectors/" + id + "/status", "{\"version\":1,\"status\":\"APPLIED\","
                + "\"effective_sha256\":\"" + "b".repeat(64) + "\",\"agent_version\":\"1.2.0\",\"allow_lists\":"
                + "{\"password_dirs\":[\"/etc/pgfleet/secrets\"],\"password_env\":[\"PGPASSWORD\"],\"hosts\":[\"localhost\"]},"
                + "\"facts\":" + factsJson + "}");
    }

    /** A registered collector whose agent reported facts (or none when factsJson is empty). */
    private static String member(String name, String labelsJson, String factsJson) {
        ApiClient agent = registered(name, labelsJson);
        String id = idOf(agent);
        if (!factsJson.isEmpty()) {
            assertEquals(204, report(agent, id, factsJson).statusCode());
        }
        return id;
    }

    private static String fleetEntry(String id) {
        // The collector's own entry, as the fleet view shows it (GET /api/v1/collectors/{id}).
        java.net.http.HttpResponse<String> r = admin.get("/api/v1/collectors/" + id);
        assertEquals(200, r.statusCode(), id + ": " + r.body());
        return r.body();
    }

    private static void assertRefused(HttpResponse<String> r) {
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
        assertTrue(r.body().contains("\"type\":\"https://pgfleet.io/problems/missing-capabilities\""), r.body());
    }

    /** The collector ids a refusal names as lacking. */
    private static String lacking(String body) {
        Matcher m = Pattern.compile("\"collector_id\":\"([^\"]+)\"").matcher(body);
        StringBuilder ids = new StringBuilder();
        while (m.find()) {
            ids.append(ids.isEmpty() ? "" : ",").append(m.group(1));
        }
        return ids.toString();
    }

    @Test
    void aFleetPublishIsRefusedWhenOneMemberLacksPgStatStatementsAndNothingIsStored() {
        String has = member("fleet-has", "{}", facts(2, "[\"plpgsql\",\"pg_stat_statements\"]"));
        String lacks = member("fleet-lacks", "{}", facts(2, "[\"plpgsql\"]"));
        String silent = member("fleet-silent", "{}", "");

        HttpResponse<String> r = admin.putToml("/api/v1/fleet/config", STATEMENTS);

        assertRefused(r);
        assertTrue(lacking(r.body()).contains(lacks), r.body());
        assertFalse(lacking(r.body()).contains(has), r.body());
        assertTrue(r.body().contains("\"capability\":\"extension\""), r.body());
        assertTrue(r.body().contains("pg_stat_statements in database postgres"), r.body());
        assertTrue(r.body().matches("(?s).*\"unknown\":\\[[^\\]]*\"" + silent + "\".*"), "never reported: unknown " + r.body());
        assertEquals(404, admin.get("/api/v1/fleet/config").statusCode(), "nothing stored");
        assertFalse(admin.get("/api/v1/config/" + has).body().contains("pg_stat_statements"));
    }

    @Test
    void anOldAgentsSchemaVersionRefusesANewKeyAndAnUpgradedOneTakesIt() {
        String old = member("old-agent", "{}", facts(1, "[\"pg_stat_statements\"]"));
        String upgraded = member("new-agent", "{}", facts(2, "[\"pg_stat_statements\"]"));
        String doc = "[collectors.pg_stat_statements]\ntop = 5\n";

        HttpResponse<String> r = admin.putToml("/api/v1/config/" + old, doc);
        assertRefused(r);
        assertTrue(r.body().contains("\"capability\":\"agent_schema\"") && r.body().contains("collectors.pg_stat_statements.top"),
                r.body());
        assertTrue(r.body().contains("understands 1"), r.body());
        assertFalse(admin.get("/api/v1/config/" + old).body().contains("top = 5"), "nothing stored");

        assertEquals(201, admin.putToml("/api/v1/config/" + upgraded, doc).statusCode());
    }

    @Test
    void forceAcceptsAndTheFleetViewMarksTheMemberButAViewerCannotForce() {
        String lacks = member("forced", "{}", facts(2, "[\"plpgsql\"]"));
        assertEquals(403, viewer.putToml("/api/v1/config/" + lacks + "?force=true", STATEMENTS).statusCode());
        assertFalse(admin.get("/api/v1/config/" + lacks).body().contains("pg_stat_statements"), "the viewer stored nothing");
        assertEquals(400, admin.putToml("/api/v1/config/" + lacks + "?force=yes", STATEMENTS).statusCode());

        HttpResponse<String> forced = admin.putToml("/api/v1/config/" + lacks + "?force=true", STATEMENTS);

        assertEquals(201, forced.statusCode(), forced.body());
        String entry = fleetEntry(lacks);
        assertTrue(entry.contains("\"capability_gaps\":[{\"capability\":\"extension\","), entry);
        assertTrue(entry.contains("\"server_version_num\":160004") && entry.contains("\"schema_version\":2"), entry);

        // A later document it can run clears the mark.
        assertEquals(201, admin.putToml("/api/v1/config/" + lacks, "[collector]\npush_interval = 20\n").statusCode());
        assertTrue(fleetEntry(lacks).contains("\"capability_gaps\":[]"), fleetEntry(lacks));
    }

    @Test
    void membersThatNeverReportedFactsAreNotRefused() {
        String silent = member("silent-one", "{\"team\":\"quiet\"}", "");
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"quiet\",\"selector\":{\"team\":\"quiet\"},"
                + "\"priority\":1}").statusCode());

        HttpResponse<String> r = admin.putToml("/api/v1/groups/quiet/config", STATEMENTS);

        assertEquals(201, r.statusCode(), r.body());
        assertTrue(admin.get("/api/v1/config/" + silent).body().contains("pg_stat_statements"));
        assertTrue(fleetEntry(silent).contains("\"facts\":null"), fleetEntry(silent));
    }

    @Test
    void aGroupPublishIsRefusedNamingOnlyTheLackingMemberAndALabelChangeIsCheckedToo() {
        String has = member("grp-has", "{\"team\":\"db\"}", facts(2, "[\"pg_stat_statements\"]"));
        String lacks = member("grp-lacks", "{\"team\":\"db\"}", facts(2, "[]"));
        String outside = member("grp-outside", "{\"team\":\"web\"}", facts(2, "[]"));
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"db\",\"selector\":{\"team\":\"db\"},"
                + "\"priority\":1}").statusCode());

        HttpResponse<String> r = admin.putToml("/api/v1/groups/db/config", STATEMENTS);

        assertRefused(r);
        assertEquals(lacks, lacking(r.body()), "only the lacking member of the group: " + has + " has it, " + outside
                + " is not in the group");
        assertTrue(r.body().contains("\"total\":1"), r.body());

        // Without the lacking member the group takes it; moving a lacking collector in is refused in turn.
        assertEquals(200, SERVER.admin().send(admin.request("/api/v1/collectors/" + lacks)
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\":{\"team\":\"none\"}}"))).statusCode());
        assertEquals(201, admin.putToml("/api/v1/groups/db/config", STATEMENTS).statusCode());
        HttpResponse<String> join = admin.send(admin.request("/api/v1/collectors/" + outside)
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\":{\"team\":\"db\"}}")));
        assertRefused(join);
        assertEquals(outside, lacking(join.body()));
        assertEquals(200, admin.send(admin.request("/api/v1/collectors/" + outside + "?force=true")
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\":{\"team\":\"db\"}}"))).statusCode());
    }

    @Test
    void aRolloutIsRefusedWhenAMemberLacksWhatTheStagedVersionNeedsAndForceStartsIt() {
        String has = member("roll-has", "{\"tier\":\"roll\"}", facts(2, "[\"pg_stat_statements\"]"));
        String lacks = member("roll-lacks", "{\"tier\":\"roll\"}", facts(2, "[]"));
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"roll\",\"selector\":{\"tier\":\"roll\"},"
                + "\"priority\":1}").statusCode());
        String rollout = "{\"layer\":\"group/roll\",\"document\":\"" + STATEMENTS.replace("\n", "\\n").replace("\"", "\\\"")
                + "\",\"waves\":[{\"percent\":100}],\"bake_seconds\":0}";

        HttpResponse<String> r = admin.postJson("/api/v1/rollouts", rollout);

        assertRefused(r);
        assertEquals(lacks, lacking(r.body()), "only the lacking member: " + has + " has the extension");
        assertFalse(admin.get("/api/v1/rollouts").body().contains("group/roll"), "no rollout stored");
        assertEquals(403, viewer.postJson("/api/v1/rollouts?force=true", rollout).statusCode());

        HttpResponse<String> forced = admin.postJson("/api/v1/rollouts?force=true", rollout);
        assertEquals(201, forced.statusCode(), forced.body());
    }

    @Test
    void aDatabaseThatDoesNotExistAndAPasswordFileOutsideTheAllowListsAreRefused() {
        String id = member("db-and-file", "{}", facts(2, "[]"));

        HttpResponse<String> db = admin.putToml("/api/v1/config/" + id, "[postgres]\ndatabases = [\"postgres\", \"nope\"]\n");
        assertRefused(db);
        assertTrue(db.body().contains("\"capability\":\"database\"") && db.body().contains("database nope does not exist"),
                db.body());

        HttpResponse<String> file = admin.putToml("/api/v1/config/" + id, "[postgres]\npassword_file = \"/root/.pgpass\"\n");
        assertRefused(file);
        assertTrue(file.body().contains("\"capability\":\"password_dir\""), file.body());
    }

    @Test
    void factsAreBoundedAndOnlyTheCollectorItselfReportsThem() {
        ApiClient agent = registered("hostile", "{}");
        String id = idOf(agent);
        ApiClient other = registered("other", "{}");
        assertEquals(204, report(agent, id, facts(2, "[\"pg_stat_statements\"]")).statusCode());

        assertEquals(403, report(other, id, facts(2, "[]")).statusCode(), "another collector's token");
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < 10_000; i++) {
            many.append(i == 0 ? "" : ",").append("\"ext").append(i).append('"');
        }
        assertEquals(400, report(agent, id, facts(2, many.append(']').toString())).statusCode());
        assertEquals(400, report(agent, id, facts(2, "[\"" + "x".repeat(100_000) + "\"]")).statusCode());
        assertEquals(400, report(agent, id, facts(99_999, "[]")).statusCode());
        assertEquals(400, report(agent, id, "{\"schema_version\":2,\"os\":\"" + "o".repeat(500) + "\"}").statusCode());
        assertEquals(400, report(agent, id, "[1]").statusCode());

        String entry = fleetEntry(id);
        assertTrue(entry.contains("\"extensions\":{\"postgres\":[\"pg_stat_statements\"]}"), "the first facts stay " + entry);
    }
}
