package io.pgfleet.server;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Staged rollouts over real HTTP and PostgreSQL, with collectors reporting through the API as
 * agents do. Each test rolls out its own group's layer, so they share one server.
 */
class RolloutsIT {

    @RegisterExtension
    static final RunningServer SERVER = RolloutFleet.server();

    private static RolloutFleet fleet;
    private static ApiClient admin;

    @BeforeAll
    static void setUp() {
        admin = SERVER.admin();
        fleet = new RolloutFleet(SERVER.port(), admin);
    }

    private static String type(HttpResponse<String> r) {
        return RolloutFleet.json(r.body()).getString("type");
    }

    private static void conflict(HttpResponse<String> r, String slug) {
        assertEquals(409, r.statusCode(), r.body());
        assertEquals("https://pgfleet.io/problems/" + slug, type(r), r.body());
    }

    private static HttpResponse<String> delete(String path) {
        return admin.send(admin.request(path).DELETE());
    }

    private static List<String> sources(String layerPath) {
        HttpResponse<String> r = admin.get(layerPath + "/versions");
        assertEquals(200, r.statusCode(), r.body());
        return RolloutFleet.json(r.body()).getJsonArray("versions").getValuesAs(JsonObject.class).stream()
                .map(v -> v.getInt("version") + " " + v.getString("source")).toList();
    }

    private static List<String> kinds(JsonObject rollout) {
        return rollout.getJsonArray("timeline").getValuesAs(JsonObject.class).stream().map(e -> e.getString("kind")).toList();
    }

    private static JsonObject wave(JsonObject rollout, int n) {
        return rollout.getJsonArray("waves").getJsonObject(n - 1);
    }

    @Test
    void aMemberTheStagedVersionDoesNotChangeIsNotBlamedForAFailureItReportedBeforeTheRollout() {
        fleet.group("u1", "{\"suite\":\"u1\"}");
        RolloutFleet.Member canary = fleet.seen("u1-canary", "{\"suite\":\"u1\",\"canary\":\"true\"}");
        RolloutFleet.Member pinned = fleet.seen("u1-pinned", "{\"suite\":\"u1\",\"canary\":\"true\"}");
        RolloutFleet.Member other = fleet.seen("u1-other", "{\"suite\":\"u1\"}");
        assertEquals(201, admin.putToml("/api/v1/groups/u1/config", "[collector]\npush_interval = 30\n").statusCode());
        // Its own layer sets what the rollout changes, so the staged version leaves its document as it
        // is; its agent could not apply that document, and said so before the rollout started.
        assertEquals(201, admin.putToml("/api/v1/config/" + pinned.id, "[collector]\npush_interval = 45\n")
                .statusCode());
        String ranBefore = pinned.sha();
        pinned.failed("postgres.password_file /etc/pw does not exist", "0".repeat(64));
        int revision = pinned.revision();
        canary.applied();
        other.applied();

        long id = fleet.start("group/u1", "[collector]\npush_interval = 20\n", RolloutFleet.CANARY_FIRST, 0, 60);
        assertEquals(revision, pinned.revision(), "the staged version does not change its effective revision");
        assertEquals(ranBefore, pinned.sha());
        String staged = "group/u1@" + fleet.rollout(id).getInt("staged_version");
        assertTrue(pinned.effective().getJsonArray("sources").toString().contains("\"" + staged + "\""),
                "its sources name the staged version: " + pinned.effective().getJsonArray("sources"));
        assertEquals("running", fleet.rollout(id).getString("state"), "its old failure is not the staged version's");

        canary.applied();
        fleet.awaitWave(id, 2);
        other.applied();
        JsonObject done = fleet.awaitState(id, "completed");
        JsonObject first = wave(done, 1);
        assertEquals(List.of(1, 0, 0, 1), List.of(first.getInt("applied"), first.getInt("failed"),
                first.getInt("pending"), first.getInt("skipped")), first.toString());
        String passed = done.getJsonArray("timeline").getValuesAs(JsonObject.class).stream()
                .filter(e -> e.getString("kind").equals("wave_passed")).findFirst().orElseThrow().getString("detail");
        assertTrue(passed.contains("(unchanged by " + staged + ", not judged: " + pinned.id + ")"), passed);
    }

    @Test
    void aCanaryThatAppliesLetsTheNextWaveStartAndTheLastCompletesTheRollout() {
        fleet.group("c1", "{\"suite\":\"c1\"}");
        RolloutFleet.Member canary = fleet.seen("c1-canary", "{\"suite\":\"c1\",\"canary\":\"true\"}");
        List<RolloutFleet.Member> rest = List.of(fleet.seen("c1-a", "{\"suite\":\"c1\"}"),
                fleet.seen("c1-b", "{\"suite\":\"c1\"}"), fleet.seen("c1-c", "{\"suite\":\"c1\"}"));
        assertEquals(201, admin.putToml("/api/v1/groups/c1/config", "[collector]\npush_interval = 30\n").statusCode());

        long id = fleet.start("group/c1", "[collector]\npush_interval = 20\n", RolloutFleet.CANARY_FIRST, 0, 60);
        JsonObject started = fleet.rollout(id);
        assertEquals("running", started.getString("state"));
        assertEquals(1, wave(started, 1).getInt("members"));
        assertEquals(3, wave(started, 2).getInt("members"));
        assertTrue(canary.document().contains("push_interval = 20"), "the canary received the staged version");
        for (RolloutFleet.Member m : rest) {
            assertTrue(m.document().contains("push_interval = 30"), m.id + " keeps the previous version");
        }
        // The staged version is in the layer's history with its rollout; the current version is still 1.
        assertEquals(List.of("2 rollout:" + id, "1 put"), sources("/api/v1/groups/c1/config"));
        assertEquals("1", admin.get("/api/v1/groups/c1/config").headers().firstValue("X-Config-Version").orElse(""));

        // While the rollout holds the layer, nothing else changes it.
        conflict(admin.putToml("/api/v1/groups/c1/config", "[collector]\npush_interval = 5\n"), "rollout-in-progress");
        conflict(admin.postJson("/api/v1/groups/c1/config/rollback", "{\"to_version\":1}"), "rollout-in-progress");
        conflict(delete("/api/v1/groups/c1"), "rollout-in-progress");
        conflict(fleet.startRequest("group/c1", "[collector]\npush_interval = 7\n", RolloutFleet.CANARY_FIRST, 0, 60),
                "rollout-in-progress");
        // A collector's own layer is still published, over the staged version.
        assertEquals(201, admin.putToml("/api/v1/config/" + canary.id, "[postgres]\nport = 6432\n").statusCode());
        assertTrue(canary.document().contains("push_interval = 20") && canary.document().contains("port = 6432"),
                canary.document());
        // A collector that joins during the rollout keeps the previous version until it completes.
        RolloutFleet.Member late = fleet.seen("c1-late", "{\"suite\":\"c1\"}");
        assertTrue(late.document().contains("push_interval = 30"), late.document());

        canary.applied();
        fleet.awaitWave(id, 2);
        for (RolloutFleet.Member m : rest) {
            assertTrue(m.document().contains("push_interval = 20"), m.id + " received it in wave 2");
        }
        assertTrue(late.document().contains("push_interval = 30"), "not in a wave");
        rest.forEach(RolloutFleet.Member::applied);
        JsonObject done = fleet.awaitState(id, "completed");

        assertEquals("all 2 waves passed", done.getString("reason"));
        assertEquals(1, wave(done, 1).getInt("applied"));
        assertEquals(3, wave(done, 2).getInt("applied"));
        assertEquals(List.of("started", "wave_started", "wave_passed", "wave_started", "wave_passed", "completed"),
                kinds(done));
        assertEquals("2", admin.get("/api/v1/groups/c1/config").headers().firstValue("X-Config-Version").orElse(""));
        assertTrue(late.document().contains("push_interval = 20"), "a late member gets it on completion");
        String audit = admin.get("/api/v1/audit?limit=200").body();
        assertTrue(audit.contains("rollout.start") && audit.contains("rollout.wave") && audit.contains("rollout.complete"),
                audit);
        // The layer is free again.
        assertEquals(201, admin.putToml("/api/v1/groups/c1/config", "[collector]\npush_interval = 25\n").statusCode());
    }

    @Test
    void aFailedCanaryRollsTheLayerBackAndTheOthersNeverReceiveTheStagedVersion() {
        fleet.group("f1", "{\"suite\":\"f1\"}");
        assertEquals(201, admin.putToml("/api/v1/groups/f1/config", "[collector]\npush_interval = 30\n").statusCode());
        RolloutFleet.Member canary = fleet.seen("f1-canary", "{\"suite\":\"f1\",\"canary\":\"true\"}");
        List<RolloutFleet.Member> rest = List.of(fleet.seen("f1-a", "{\"suite\":\"f1\"}"),
                fleet.seen("f1-b", "{\"suite\":\"f1\"}"));
        int canaryBefore = canary.revision();
        String canaryDocument = canary.document();
        String canarySha = canary.sha();
        List<Integer> before = rest.stream().map(RolloutFleet.Member::revision).toList();

        long id = fleet.start("group/f1", "[collector]\npush_interval = 20\n", RolloutFleet.CANARY_FIRST, 0, 60);
        assertEquals(canaryBefore + 1, canary.revision());
        canary.failed("postgres.password_file /etc/pgfleet/pw does not exist on this host", canarySha);
        JsonObject back = fleet.awaitState(id, "rolled_back");

        assertTrue(back.getString("reason").startsWith("wave 1 of 2 failed: 1 of 1 member failed"), back.toString());
        JsonObject failure = back.getJsonArray("failures").getJsonObject(0);
        assertEquals(canary.id, failure.getString("collector_id"));
        assertEquals("postgres.password_file /etc/pgfleet/pw does not exist on this host", failure.getString("error"));
        assertEquals("rolled_back", wave(back, 1).getString("state"));
        assertEquals("not_started", wave(back, 2).getString("state"));
        assertEquals(before, rest.stream().map(RolloutFleet.Member::revision).toList(),
                "the other members' effective documents never changed");
        assertEquals(canaryBefore + 2, canary.revision(), "the canary got its previous document back as a new revision");
        assertEquals(canaryDocument, canary.document());
        assertEquals(List.of("3 rollout-rollback:" + id, "2 rollout:" + id, "1 put"), sources("/api/v1/groups/f1/config"));
        HttpResponse<String> current = admin.get("/api/v1/groups/f1/config");
        assertEquals("3", current.headers().firstValue("X-Config-Version").orElse(""));
        assertEquals("[collector]\npush_interval = 30\n", current.body());
        assertTrue(admin.get("/api/v1/audit?limit=200").body().contains("rollout.rollback"));
        assertEquals(1, fleet.rollout(id).getJsonArray("timeline").getValuesAs(JsonObject.class).stream()
                .filter(e -> e.getString("kind").equals("rolled_back") && e.getString("by").startsWith("rollout-driver@"))
                .count(), "rolled back once, by the driver");
    }

    @Test
    void theDriverPausesAtAWaveThatWouldMakeAMemberWhoseOwnLayerChangedInvalidAndGoesOnOnceItIsFixed() {
        fleet.group("d1", "{\"suite\":\"d1\"}");
        String previous = "[postgres]\npassword_file = \"/tmp/x/pw\"\n";
        assertEquals(201, admin.putToml("/api/v1/groups/d1/config", previous).statusCode());
        RolloutFleet.Member canary = fleet.seen("d1-canary", "{\"suite\":\"d1\",\"canary\":\"true\"}");
        RolloutFleet.Member other = fleet.seen("d1-a", "{\"suite\":\"d1\"}");

        long id = fleet.start("group/d1", "[postgres]\npassword_env = \"PGPASSWORD\"\n", RolloutFleet.CANARY_FIRST, 0, 60);
        // Valid with the version it has; not with the staged one, which it has not received.
        assertEquals(201, admin.putToml("/api/v1/config/" + other.id, previous).statusCode());
        int otherRevision = other.revision();
        canary.applied();
        JsonObject held = fleet.awaitState(id, "paused");

        // Nobody to refuse it to, and the canary runs the version well: the driver pauses, naming
        // the member and its error, and takes nothing back.
        JsonObject pause = fleet.rollout(id).getJsonArray("timeline").getValuesAs(JsonObject.class).stream()
                .filter(e -> e.getString("kind").equals("paused")).findFirst().orElseThrow();
        assertTrue(pause.getString("by").startsWith("rollout-driver@"), pause.toString());
        assertTrue(pause.getString("detail").startsWith("paused in wave 1: wave 2 would make 1 member's configuration"
                + " invalid: " + other.id + " (group/d1@2: ") && pause.getString("detail").contains(
                "set either password_file or password_env, not both"), pause.toString());
        assertEquals(1, held.getInt("current_wave"));
        assertTrue(canary.document().contains("password_env"), "the canary keeps the version it runs");
        assertEquals(otherRevision, other.revision());
        assertEquals(List.of("2 rollout:" + id, "1 put"), sources("/api/v1/groups/d1/config"));
        assertTrue(admin.get("/api/v1/audit?limit=200").body().contains("rollout " + id + ": paused in wave 1: wave 2"));

        // Resumed as it is, it would pause again: refused, naming the member, nothing changed.
        HttpResponse<String> refused = fleet.command(id, "resume");
        assertEquals(422, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("rollout " + id + " was not resumed and nothing changed (it is still paused"
                + " in wave 1 of 2)") && refused.body().contains("\"collector_id\":\"" + other.id + "\""), refused.body());
        assertEquals("paused", fleet.rollout(id).getString("state"));

        // Fixed (its own document no longer sets what the staged version replaces): resumed, it goes on.
        assertEquals(201, admin.putToml("/api/v1/config/" + other.id, "[collector]\npush_interval = 30\n")
                .statusCode());
        HttpResponse<String> resumed = fleet.command(id, "resume");
        assertEquals(200, resumed.statusCode(), resumed.body());
        fleet.awaitWave(id, 2);
        assertTrue(other.document().contains("password_env"), other.document());
        other.applied();
        fleet.awaitState(id, "completed");
        assertTrue(canary.document().contains("password_env"));
    }

    @Test
    void aMemberThatDoesNotReportByTheDeadlineRollsBack() {
        fleet.group("s1", "{\"suite\":\"s1\"}");
        RolloutFleet.Member canary = fleet.seen("s1-canary", "{\"suite\":\"s1\",\"canary\":\"true\"}");
        fleet.seen("s1-a", "{\"suite\":\"s1\"}");
        long id = fleet.start("group/s1", "[collector]\npush_interval = 20\n", RolloutFleet.CANARY_FIRST, 0, 1);
        JsonObject back = fleet.awaitState(id, "rolled_back");
        JsonObject failure = back.getJsonArray("failures").getJsonObject(0);
        assertEquals(canary.id, failure.getString("collector_id"));
        assertTrue(failure.getString("error").startsWith("no apply report for effective revision "), failure.toString());
        assertFalse(canary.document().contains("push_interval = 20"));
        // The group had no version before: the rollback publishes a document that sets nothing.
        assertTrue(admin.get("/api/v1/groups/s1/config").body().startsWith("# group/s1 had no version before rollout "));
        assertEquals(List.of("2 rollout-rollback:" + id, "1 rollout:" + id), sources("/api/v1/groups/s1/config"));
    }

    @Test
    void refusesToMoveMembersOfARolledOutGroupAndAWaveWhoseMemberLeftByItsLabelsTestedNothingAndRollsBack() {
        fleet.group("m1", "{\"suite\":\"m1\"}");
        assertEquals(201, admin.putToml("/api/v1/groups/m1/config", "[collector]\npush_interval = 30\n").statusCode());
        RolloutFleet.Member canary = fleet.seen("m1-canary", "{\"suite\":\"m1\",\"canary\":\"true\"}");
        RolloutFleet.Member other = fleet.seen("m1-a", "{\"suite\":\"m1\"}");
        long id = fleet.start("group/m1", "[collector]\npush_interval = 18\n", RolloutFleet.CANARY_FIRST, 0, 5);
        assertTrue(canary.document().contains("push_interval = 18"));

        // The group's membership and precedence are what the waves were planned and are judged on.
        conflict(patch("/api/v1/groups/m1", "{\"selector\":{\"suite\":\"elsewhere\"}}"), "rollout-in-progress");
        conflict(patch("/api/v1/groups/m1", "{\"priority\":7}"), "rollout-in-progress");
        assertEquals(200, patch("/api/v1/groups/m1", "{\"description\":\"being rolled out\"}").statusCode(),
                "a description changes nothing a rollout judges");

        // A wave member's own labels may still change: it leaves the layer, and its agent applies what it now gets.
        assertEquals(200, patch("/api/v1/collectors/" + canary.id, "{\"labels\":{\"suite\":\"elsewhere\"}}")
                .statusCode());
        assertFalse(canary.document().contains("push_interval = 18"));
        canary.applied();

        JsonObject back = fleet.awaitState(id, "rolled_back");
        assertEquals("wave 1 of 2 failed: none of its 1 member applied group/m1@2 within 5 s (1 left group/m1)",
                back.getString("reason"));
        assertEquals(0, wave(back, 1).getInt("applied"));
        assertEquals(1, wave(back, 1).getInt("skipped"));
        JsonObject failure = back.getJsonArray("failures").getJsonObject(0);
        assertEquals(canary.id, failure.getString("collector_id"));
        assertTrue(failure.getString("error").startsWith("left group/m1 during its wave"), failure.toString());
        assertTrue(other.document().contains("push_interval = 30"), "the next wave never received an untested version");
    }

    private static HttpResponse<String> patch(String path, String json) {
        return admin.send(admin.request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    @Test
    void staleMembersAreSkippedAndNotWaitedFor() {
        fleet.group("st", "{\"suite\":\"st\"}");
        List<RolloutFleet.Member> fresh = List.of(fleet.seen("st-a", "{\"suite\":\"st\"}"),
                fleet.seen("st-b", "{\"suite\":\"st\"}"));
        RolloutFleet.Member silent = fleet.provisioned("st-never", "{\"suite\":\"st\"}");
        long id = fleet.start("group/st", "[collector]\npush_interval = 20\n", "[{\"percent\":100}]", 0, 600);
        JsonObject started = fleet.rollout(id);
        assertEquals(2, wave(started, 1).getInt("members"));
        assertEquals(1, wave(started, 1).getInt("skipped"));
        assertEquals(List.of(silent.id), wave(started, 1).getJsonArray("skipped_collectors").getValuesAs(
                jakarta.json.JsonString.class).stream().map(jakarta.json.JsonString::getString).toList());
        fresh.forEach(RolloutFleet.Member::applied);
        fleet.awaitState(id, "completed");
        assertTrue(silent.document().contains("push_interval = 20"), "a skipped member gets the version on completion");
    }

    @Test
    void aRolloutWhoseFirstWaveHasNoMemberThatIsNotStaleIsRefusedNamingTheStaleMembersAndStoresNothing() {
        fleet.group("allstale", "{\"suite\":\"allstale\"}");
        List<RolloutFleet.Member> members = List.of(fleet.provisioned("allstale-1", "{\"suite\":\"allstale\"}"),
                fleet.provisioned("allstale-2", "{\"suite\":\"allstale\"}"),
                fleet.provisioned("allstale-3", "{\"suite\":\"allstale\"}"));
        List<String> stale = members.stream().map(m -> m.id).toList();
        String doc = "[collector]\npush_interval = 46\n";
        for (String path : List.of("/api/v1/rollouts", "/api/v1/rollouts?force=true")) {
            HttpResponse<String> r = admin.postJson(path, "{\"layer\":\"group/allstale\",\"document\":\"[collector]\\n"
                    + "push_interval = 46\\n\",\"waves\":[{\"percent\":50},{\"percent\":100}],\"bake_seconds\":600}");
            assertEquals(422, r.statusCode(), path + " → " + r.body());
            JsonObject problem = RolloutFleet.json(r.body());
            assertEquals("https://pgfleet.io/problems/empty-wave", problem.getString("type"));
            assertEquals(1, problem.getInt("wave"));
            assertEquals(3, problem.getInt("skipped"));
            assertEquals(stale.stream().sorted().toList(), problem.getJsonArray("skipped_collectors")
                    .getValuesAs(jakarta.json.JsonString.class).stream().map(jakarta.json.JsonString::getString).sorted()
                    .toList());
            assertTrue(problem.getString("detail").contains("3 stale or never-seen members skipped"), r.body());
        }
        assertEquals(List.of(), sources("/api/v1/groups/allstale/config"), "nothing was staged by the refusal");
        HttpResponse<String> list = admin.get("/api/v1/rollouts?limit=100");
        assertEquals(200, list.statusCode(), list.body());
        assertFalse(RolloutFleet.json(list.body()).getJsonArray("rollouts").getValuesAs(JsonObject.class).stream()
                .anyMatch(r -> r.getString("layer").equals("group/allstale")), "no rollout was stored");

        // Once a member is heard from (its agent registered), the rollout tests on it first; the
        // others are skipped as never seen.
        RolloutFleet.Member heard = fleet.register("allstale-4", "{\"suite\":\"allstale\"}");
        long id = fleet.start("group/allstale", doc, "[{\"percent\":50},{\"percent\":100}]", 600, 60);
        JsonObject started = fleet.rollout(id);
        assertEquals(List.of(heard.id), wave(started, 1).getJsonArray("collectors").getValuesAs(
                jakarta.json.JsonString.class).stream().map(jakarta.json.JsonString::getString).toList());
        assertEquals("running", started.getString("state"));
    }

    @Test
    void operatorsPauseResumePromoteAndAbortAndFinishedRolloutsRefuseCommands() throws Exception {
        fleet.group("p1", "{\"suite\":\"p1\"}");
        RolloutFleet.Member canary = fleet.seen("p1-canary", "{\"suite\":\"p1\",\"canary\":\"true\"}");
        List<RolloutFleet.Member> rest = List.of(fleet.seen("p1-a", "{\"suite\":\"p1\"}"),
                fleet.seen("p1-b", "{\"suite\":\"p1\"}"));
        // The group has no layer yet: the first rollout stages its version 1.
        long first = fleet.start("group/p1", "[collector]\npush_interval = 20\n",
                "[{\"selector\":{\"canary\":\"true\"}},{\"percent\":50},{\"percent\":100}]", 0, 60);
        assertEquals("paused", RolloutFleet.json(fleet.command(first, "pause").body()).getString("state"));
        conflict(fleet.command(first, "pause"), "rollout-state");
        canary.applied();
        RolloutFleet.awaitDriverRounds(SERVER, 3);
        JsonObject paused = fleet.rollout(first);
        assertEquals("paused", paused.getString("state"));
        assertEquals(1, paused.getInt("current_wave"), "a paused rollout does not move on");
        assertEquals(200, fleet.command(first, "resume").statusCode());
        fleet.awaitWave(first, 2);
        JsonObject promoted = RolloutFleet.json(fleet.command(first, "promote").body());
        assertEquals("completed", promoted.getString("state"));
        assertEquals("promoted by admin in wave 2 of 3", promoted.getString("reason"));
        for (RolloutFleet.Member m : rest) {
            assertTrue(m.document().contains("push_interval = 20"), "promoted to every member");
        }
        for (String command : List.of("pause", "resume", "promote", "abort")) {
            conflict(fleet.command(first, command), "rollout-state");
        }

        long second = fleet.start("group/p1", "[collector]\npush_interval = 40\n", RolloutFleet.CANARY_FIRST, 0, 60);
        assertTrue(canary.document().contains("push_interval = 40"));
        JsonObject aborted = RolloutFleet.json(fleet.command(second, "abort").body());
        assertEquals("rolled_back", aborted.getString("state"));
        assertEquals("aborted by admin in wave 1 of 2", aborted.getString("reason"));
        conflict(fleet.command(second, "abort"), "rollout-state");
        assertTrue(canary.document().contains("push_interval = 20"), canary.document());
        assertEquals(List.of("3 rollout-rollback:" + second, "2 rollout:" + second, "1 rollout:" + first),
                sources("/api/v1/groups/p1/config"));

        HttpResponse<String> list = admin.get("/api/v1/rollouts?state=rolled_back");
        assertEquals(200, list.statusCode(), list.body());
        assertTrue(RolloutFleet.json(list.body()).getJsonArray("rollouts").getValuesAs(JsonObject.class).stream()
                .anyMatch(r -> r.getJsonNumber("id").longValue() == second && r.getString("state").equals("rolled_back")));
        assertTrue(RolloutFleet.json(list.body()).getJsonArray("rollouts").getValuesAs(JsonObject.class).stream()
                .allMatch(r -> r.getString("state").equals("rolled_back")));
    }

    @Test
    void aLayerVersionAsLargeAsAPublishTakesCanBeRolledOutAndALargerDocumentIsRefused() {
        fleet.group("big", "{\"suite\":\"big\"}");
        fleet.seen("big-canary", "{\"suite\":\"big\"}");
        // Under 256 KiB of TOML, which a PUT of the layer takes; as a JSON string, each line feed and
        // quote written with a backslash, it is more than 256 KiB.
        StringBuilder doc = new StringBuilder("[collector]\npush_interval = 17\n");
        while (doc.length() < 250 * 1024) {
            doc.append("# \"a comment\" of the layer, quoted\n");
        }
        long escapes = doc.chars().filter(c -> c == '\n' || c == '"').count();
        assertTrue(doc.length() + escapes > 256 * 1024, "the document is more than 256 KiB as JSON");
        HttpResponse<String> started = fleet.startRequest("group/big", doc.toString(), "[{\"percent\":100}]", 0, 60);
        assertEquals(201, started.statusCode(), started.body());
        long id = RolloutFleet.json(started.body()).getJsonNumber("id").longValue();
        assertEquals(200, fleet.command(id, "abort").statusCode());
        List<String> history = List.of("2 rollout-rollback:" + id, "1 rollout:" + id);
        assertEquals(history, sources("/api/v1/groups/big/config"));

        // The document is still a configuration: at most 256 KiB, as a PUT of the layer would have it.
        String over = doc + "#".repeat(256 * 1024 - doc.length()) + "\n";
        HttpResponse<String> refused = fleet.startRequest("group/big", over, "[{\"percent\":100}]", 0, 60);
        assertEquals(413, refused.statusCode(), refused.body());
        assertEquals("https://pgfleet.io/problems/payload-too-large", type(refused));
        assertTrue(refused.body().contains("'document' is limited to 262144 bytes"), refused.body());
        assertEquals(413, admin.putToml("/api/v1/groups/big/config", over).statusCode(), "as a publish is refused");
        HttpResponse<String> huge = fleet.startRequest("group/big", "#".repeat(1024 * 1024) + "\n", "[{\"percent\":100}]",
                0, 60);
        assertEquals(413, huge.statusCode(), huge.body());
        assertTrue(huge.body().contains("1048576 bytes"), huge.body());
        assertEquals(history, sources("/api/v1/groups/big/config"), "nothing was staged by a refusal");
    }

    @Test
    void hostileRequestsAreRefusedAndChangeNothing() throws Exception {
        fleet.group("h1", "{\"suite\":\"h1\"}");
        fleet.seen("h1-a", "{\"suite\":\"h1\"}");
        String doc = "[collector]\npush_interval = 20\n";
        for (String waves : List.of("[{\"percent\":0},{\"percent\":100}]", "[{\"percent\":101}]", "[{\"percent\":50}]",
                "[{\"percent\":50},{\"percent\":40},{\"percent\":100}]", "[]", "[{\"selector\":{}},{\"percent\":100}]",
                "[{\"percent\":50,\"selector\":{\"a\":\"b\"}},{\"percent\":100}]", "[{\"percent\":12.5},{\"percent\":100}]",
                "[{\"selector\":{\"a\":1}},{\"percent\":100}]", "[\"all\"]",
                "[" + "{\"percent\":1},".repeat(20) + "{\"percent\":100}]")) {
            HttpResponse<String> r = fleet.startRequest("group/h1", doc, waves, 0, 60);
            assertEquals(400, r.statusCode(), waves + " → " + r.body());
        }
        assertEquals(400, fleet.startRequest("group/h1", doc, "[{\"percent\":100}]", -1, 60).statusCode());
        assertEquals(400, fleet.startRequest("group/h1", doc, "[{\"percent\":100}]", 0, 0).statusCode());
        assertEquals(400, fleet.startRequest("collector/h1-a", doc, "[{\"percent\":100}]", 0, 60).statusCode());
        assertEquals(400, admin.postJson("/api/v1/rollouts", "{\"layer\":\"group/h1\",\"document\":\"" + "x"
                + "\",\"waves\":[{\"percent\":100}],\"force\":true}").statusCode(), "unknown field");
        assertEquals(400, admin.postJson("/api/v1/rollouts", "{\"layer\":\"group/h1\",\"waves\":[{\"percent\":100}]}")
                .statusCode(), "no document");
        assertEquals(404, fleet.startRequest("group/nobody", doc, "[{\"percent\":100}]", 0, 60).statusCode());
        HttpResponse<String> bidi = fleet.startRequest("group/h1", doc, "[{\"selector\":{\"canary\":\"tr\\u202eue\"}},"
                + "{\"percent\":100}]", 0, 60);
        assertEquals(400, bidi.statusCode(), "a wave selector follows the label rule: " + bidi.body());
        assertTrue(bidi.body().contains("wave 1"), bidi.body());
        HttpResponse<String> typo = fleet.startRequest("group/h1", doc, "[{\"selector\":{\"canray\":\"true\"}},"
                + "{\"percent\":100}]", 0, 60);
        assertEquals(422, typo.statusCode(), typo.body());
        assertEquals("https://pgfleet.io/problems/empty-wave", type(typo));
        fleet.group("gone", "{\"suite\":\"gone\"}");
        assertEquals(204, delete("/api/v1/groups/gone").statusCode());
        assertEquals(404, fleet.startRequest("group/gone", doc, "[{\"percent\":100}]", 0, 60).statusCode(),
                "a deleted group cannot be rolled out");
        HttpResponse<String> invalid = fleet.startRequest("group/h1", "[collector]\npush_interval = 0\n",
                "[{\"percent\":100}]", 0, 60);
        assertEquals(422, invalid.statusCode(), invalid.body());
        HttpResponse<String> syntax = fleet.startRequest("group/h1", "[collector\n", "[{\"percent\":100}]", 0, 60);
        assertEquals(422, syntax.statusCode(), syntax.body());
        assertEquals(201, admin.putToml("/api/v1/groups/h1/config", doc).statusCode());
        conflict(fleet.startRequest("group/h1", doc, "[{\"percent\":100}]", 0, 60), "nothing-to-roll-out");
        assertEquals(List.of("1 put"), sources("/api/v1/groups/h1/config"), "nothing was staged by a refusal");

        assertEquals(400, admin.get("/api/v1/rollouts/abc").statusCode());
        assertEquals(400, admin.get("/api/v1/rollouts/0").statusCode());
        assertEquals(404, admin.get("/api/v1/rollouts/999999").statusCode());
        assertEquals(404, fleet.command(999999, "abort").statusCode());
        assertEquals(400, admin.get("/api/v1/rollouts?state=bogus").statusCode());
        assertEquals(400, admin.get("/api/v1/rollouts?limit=1000").statusCode());

        // Viewers read, collectors do neither; only operators write.
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"rollout-viewer\",\"password\":\"a-long-password\",\"role\":\"viewer\"}").statusCode());
        ApiClient viewer = new ApiClient(SERVER.port());
        assertEquals(200, viewer.login("rollout-viewer", "a-long-password").statusCode());
        long id = fleet.start("group/h1", "[collector]\npush_interval = 21\n", "[{\"percent\":100}]", 0, 600);
        assertEquals(200, viewer.get("/api/v1/rollouts/" + id).statusCode());
        assertEquals(200, viewer.get("/api/v1/rollouts").statusCode());
        assertEquals(403, viewer.postJson("/api/v1/rollouts/" + id + "/abort", "").statusCode());
        assertEquals(403, viewer.postJson("/api/v1/rollouts", "{}").statusCode());
        RolloutFleet.Member collector = fleet.seen("h1-b", "{\"suite\":\"elsewhere\"}");
        assertEquals(403, collector.client.get("/api/v1/rollouts/" + id).statusCode());
        assertEquals(403, collector.client.get("/api/v1/rollouts").statusCode());
        assertEquals(403, collector.client.postJson("/api/v1/rollouts/" + id + "/promote", "").statusCode());
        assertEquals(401, new ApiClient(SERVER.port()).get("/api/v1/rollouts").statusCode());
        assertEquals("running", fleet.rollout(id).getString("state"), "nothing changed");
        assertEquals(200, fleet.command(id, "abort").statusCode());
        conflict(fleet.command(id, "abort"), "rollout-state");
    }

    @Test
    void theListIsPagedNewestFirstAndItsNextPagesReachEveryRollout() {
        fleet.group("pg1", "{\"suite\":\"pg1\"}");
        fleet.seen("pg1-a", "{\"suite\":\"pg1\"}");
        assertEquals(201, admin.putToml("/api/v1/groups/pg1/config", "[collector]\npush_interval = 30\n").statusCode());
        List<Long> mine = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long id = fleet.start("group/pg1", "[collector]\npush_interval = " + (40 + i) + "\n", "[{\"percent\":100}]", 0, 600);
            assertEquals(200, fleet.command(id, "abort").statusCode());
            mine.add(0, id);
        }

        List<Long> listed = new java.util.ArrayList<>();
        String page = "/api/v1/rollouts?limit=1&state=rolled_back";
        while (page != null) {
            HttpResponse<String> r = admin.get(page);
            assertEquals(200, r.statusCode(), r.body());
            JsonObject body = RolloutFleet.json(r.body());
            List<JsonObject> rollouts = body.getJsonArray("rollouts").getValuesAs(JsonObject.class);
            assertTrue(rollouts.size() <= 1, r.body());
            rollouts.forEach(o -> listed.add(o.getJsonNumber("id").longValue()));
            if (body.isNull("next")) {
                assertTrue(r.headers().firstValue("Link").isEmpty(), "no Link on the last page");
                page = null;
            } else {
                page = body.getString("next");
                // The page relative to the request's own URL: right behind a proxy that adds a path prefix.
                assertEquals("<./" + page.substring(page.lastIndexOf('/', page.indexOf('?')) + 1) + ">; rel=\"next\"",
                        r.headers().firstValue("Link").orElse(""));
                assertTrue(page.contains("state=rolled_back"), page);
            }
        }
        assertTrue(listed.containsAll(mine), "every rollout is on a page: " + listed + " holds " + mine);
        assertEquals(listed.stream().sorted(java.util.Comparator.reverseOrder()).distinct().toList(), listed,
                "newest first, each once");
        assertEquals(mine.subList(1, 3), RolloutFleet.json(admin.get("/api/v1/rollouts?limit=2&before=" + mine.get(0)).body())
                .getJsonArray("rollouts").getValuesAs(JsonObject.class).stream()
                .map(o -> o.getJsonNumber("id").longValue()).filter(mine::contains).toList());
        assertEquals(400, admin.get("/api/v1/rollouts?before=0").statusCode());
        assertEquals(400, admin.get("/api/v1/rollouts?before=%2B1").statusCode());
    }
}
