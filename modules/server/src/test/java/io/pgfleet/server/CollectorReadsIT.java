package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One collector read on its own, what a decommissioned collector's id answers (re-created, read,
 * written, its effective document and its watch), and the host name an enrolling agent sends, over real
 * HTTP and PostgreSQL.
 */
class CollectorReadsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    @Test
    void oneCollectorIsReadOnItsOwnAsItsEntryOfTheListForWhoeverMayReadTheList() throws Exception {
        ApiClient admin = SERVER.admin();
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"one-1\",\"hostname\":\"db-one\",\"labels\":{\"env\":\"qa\"}}"));
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"one-2\"}"));

        HttpResponse<String> one = admin.get("/api/v1/collectors/one-1");
        assertEquals(200, one.statusCode(), one.body());
        String listed = admin.get("/api/v1/collectors?selector=env=qa").body();
        String entry = listed.substring(listed.indexOf("[") + 1, listed.lastIndexOf("]"));
        assertEquals(entry, one.body(), "the same object as the list's entry");

        assertEquals(404, admin.get("/api/v1/collectors/nobody-ever").statusCode());
        ApiClient viewer = SERVER.newUser("vic", "viewer");
        assertEquals(200, viewer.get("/api/v1/collectors/one-2").statusCode());
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"reader\"}");
        assertEquals(403, agent.get("/api/v1/collectors").statusCode());
        assertEquals(403, agent.get("/api/v1/collectors/" + agent.subject()).statusCode(),
                "a collector cannot read the list, so not its own entry either");
    }

    @Test
    void aDecommissionedIdAnswersGoneWhenCreatedOrReadAgainAndItsHistoryStaysReadable() throws Exception {
        ApiClient admin = SERVER.admin();
        created(admin.postJson("/api/v1/groups", "{\"id\":\"gone-prod\",\"selector\":{\"tier\":\"gone\"}}"));
        created(admin.putToml("/api/v1/groups/gone-prod/config", "[collector]\npush_interval = 21\n"));
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"gone-1\",\"labels\":{\"tier\":\"gone\"}}"));
        created(admin.putToml("/api/v1/config/gone-1", "[collector]\nconfig_pull_interval = 33\n"));
        HttpResponse<String> live = admin.get("/api/v1/config/gone-1");
        assertEquals(200, live.statusCode(), live.body());
        assertTrue(live.headers().firstValue("X-Config-Sources").orElseThrow().contains("group/gone-prod@1"));

        assertEquals(204, admin.send(admin.request("/api/v1/collectors/gone-1").DELETE()).statusCode());
        String at = SERVER.decommissionedAt("gone-1");

        HttpResponse<String> again = admin.postJson("/api/v1/collectors", "{\"id\":\"gone-1\"}");
        assertEquals(410, again.statusCode(), again.body());
        assertTrue(again.body().contains("problems/collector-decommissioned"), again.body());
        assertTrue(again.body().contains("'gone-1' was decommissioned at " + at), again.body());
        assertFalse(again.body().contains("already exists"), again.body());
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"taken-1\"}"));
        assertEquals(409, admin.postJson("/api/v1/collectors", "{\"id\":\"taken-1\"}").statusCode(),
                "a live collector's id is still a conflict");

        HttpResponse<String> read = admin.get("/api/v1/collectors/gone-1");
        assertEquals(410, read.statusCode(), read.body());
        assertTrue(read.body().contains("decommissioned at " + at), read.body());

        ApiClient viewer = SERVER.newUser("vera", "viewer");
        HttpResponse<String> effective = viewer.get("/api/v1/config/gone-1");
        assertEquals(410, effective.statusCode(), "no live document merging a group it left: " + effective.body()
                + " " + effective.headers().firstValue("X-Config-Sources"));
        assertTrue(effective.body().contains("problems/collector-decommissioned"), effective.body());
        assertEquals(410, viewer.get("/api/v1/config/gone-1?wait=5&after=0").statusCode(), "nor through a watch");

        assertEquals(200, viewer.get("/api/v1/config/gone-1/versions").statusCode(), "its history stays readable");
        HttpResponse<String> first = viewer.get("/api/v1/config/gone-1/versions/1");
        assertEquals(200, first.statusCode(), first.body());
        assertTrue(first.body().contains("config_pull_interval = 33"), first.body());
    }

    @Test
    void everyRouteThatWouldActOnADecommissionedIdAnswersGoneAndChangesNothing() throws Exception {
        ApiClient admin = SERVER.admin();
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"retired\"}");
        String id = agent.subject();
        created(admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 17\n"));
        assertEquals(204, admin.send(admin.request("/api/v1/collectors/" + id).DELETE()).statusCode());
        String at = SERVER.decommissionedAt(id);
        String audit = admin.get("/api/v1/audit?collector_id=" + id).body();
        assertTrue(audit.contains("collector.decommission"), audit);
        String versions = admin.get("/api/v1/config/" + id + "/versions").body();

        for (Call call : perCollectorCalls()) {
            HttpResponse<String> r = call.send(admin, id);
            assertEquals(410, r.statusCode(), call.name() + ": " + r.body());
            assertTrue(r.body().contains("problems/collector-decommissioned"), call.name() + ": " + r.body());
            assertTrue(r.body().contains("'" + id + "' was decommissioned at " + at), call.name() + ": " + r.body());

            HttpResponse<String> unknown = call.send(admin, "never-" + id);
            assertEquals(404, unknown.statusCode(), call.name() + " of an unknown id: " + unknown.body());
            assertTrue(unknown.body().contains("problems/collector-not-found"), call.name() + ": " + unknown.body());
        }
        assertEquals(audit, admin.get("/api/v1/audit?collector_id=" + id).body(), "the refused writes audited nothing");
        assertEquals(versions, admin.get("/api/v1/config/" + id + "/versions").body(), "nor published anything");
        assertTrue(admin.get("/api/v1/collectors?limit=500").body().indexOf("\"" + id + "\"") < 0,
                "nor brought it back to the fleet view");

        // Its history stays readable, as documented.
        assertEquals(200, admin.get("/api/v1/config/" + id + "/versions/1").statusCode());
        assertEquals(200, admin.get("/api/v1/config/" + id + "/diff?from=1&to=1").statusCode());
        assertEquals(200, admin.get("/api/v1/collectors/" + id + "/metrics").statusCode());
        // What agents of every release rely on: the collector's own token is refused with a 401.
        HttpResponse<String> status = agent.postJson("/api/v1/collectors/" + id + "/status",
                "{\"version\":1,\"status\":\"APPLIED\",\"effective_sha256\":\"" + "a".repeat(64) + "\"}");
        assertEquals(401, status.statusCode(), status.body());
        assertEquals(401, agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"b-1\",\"samples\":[]}").statusCode());
        assertEquals(401, agent.get("/api/v1/config/" + id).statusCode());
    }

    /** A request on one collector's id, by an operator. */
    private record Call(String name, java.util.function.BiFunction<ApiClient, String, HttpResponse<String>> request) {
        HttpResponse<String> send(ApiClient client, String id) {
            return request.apply(client, id);
        }
    }

    /** Every per-collector route but the reads of its own layer's history and of its samples. */
    private static java.util.List<Call> perCollectorCalls() {
        return java.util.List.of(
                new Call("PATCH labels", (c, id) -> c.send(c.request("/api/v1/collectors/" + id)
                        .header("Content-Type", "application/json")
                        .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"labels\":{\"a\":\"b\"}}")))),
                new Call("DELETE", (c, id) -> c.send(c.request("/api/v1/collectors/" + id).DELETE())),
                new Call("revoke", (c, id) -> c.postJson("/api/v1/collectors/" + id + "/revoke", "")),
                new Call("enrolment token", (c, id) -> c.postJson("/api/v1/collectors/" + id + "/enrolment-token", "")),
                new Call("GET", (c, id) -> c.get("/api/v1/collectors/" + id)),
                new Call("GET effective explained", (c, id) -> c.get("/api/v1/collectors/" + id + "/effective")),
                new Call("GET config", (c, id) -> c.get("/api/v1/config/" + id)),
                new Call("GET own layer", (c, id) -> c.get("/api/v1/config/" + id + "/own")),
                new Call("PUT config", (c, id) -> c.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 18\n")),
                new Call("rollback", (c, id) -> c.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\":1}")));
    }

    @Test
    void aDecommissionedIdIsAnsweredGoneBeforeAnythingItsRequestCarriesIsJudged() throws Exception {
        ApiClient admin = SERVER.admin();
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"flawed\"}");
        String gone = agent.subject();
        created(admin.putToml("/api/v1/config/" + gone, "[collector]\npush_interval = 17\n"));
        assertEquals(204, admin.send(admin.request("/api/v1/collectors/" + gone).DELETE()).statusCode());
        String at = SERVER.decommissionedAt(gone);
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"flawed-live\"}"));
        created(admin.putToml("/api/v1/config/flawed-live", "[collector]\npush_interval = 17\n"));
        String audit = admin.get("/api/v1/audit?collector_id=" + gone).body();
        String versions = admin.get("/api/v1/config/" + gone + "/versions").body();
        String liveAudit = admin.get("/api/v1/audit?collector_id=flawed-live").body();

        for (Flawed call : flawedCalls()) {
            HttpResponse<String> live = call.send(admin, "flawed-live");
            assertEquals(call.flaw(), live.statusCode(), call.name() + " is refused for its flaw on a live collector: "
                    + live.body());
            HttpResponse<String> r = call.send(admin, gone);
            assertEquals(410, r.statusCode(), call.name() + ": " + r.body());
            assertTrue(r.body().contains("problems/collector-decommissioned"), call.name() + ": " + r.body());
            assertTrue(r.body().contains("'" + gone + "' was decommissioned at " + at), call.name() + ": " + r.body());
        }
        assertEquals(audit, admin.get("/api/v1/audit?collector_id=" + gone).body(), "the refused requests audited nothing");
        assertEquals(versions, admin.get("/api/v1/config/" + gone + "/versions").body(), "nor published anything");
        assertEquals(liveAudit, admin.get("/api/v1/audit?collector_id=flawed-live").body(), "nor changed the live one");
        assertTrue(admin.get("/api/v1/collectors/flawed-fresh").statusCode() == 404, "nor provisioned anything");

        // What keeps its own answer: a body over the size limit is not read at all.
        assertEquals(413, admin.putToml("/api/v1/config/" + gone, "# " + "x".repeat(300 * 1024) + "\n").statusCode());
        // Its history is read as before, so its parameters are judged as for any collector.
        for (String read : java.util.List.of("/versions?limit=0", "/versions?before=x", "/versions/99", "/diff?from=1&to=99",
                "/diff?from=a&to=1")) {
            int asLive = admin.get("/api/v1/config/flawed-live" + read).statusCode();
            assertTrue(asLive == 400 || asLive == 404, read + ": " + asLive);
            assertEquals(asLive, admin.get("/api/v1/config/" + gone + read).statusCode(), read);
        }
        assertEquals(400, admin.get("/api/v1/collectors/" + gone + "/metrics?limit=0").statusCode());
        // Its own token is refused before its body is read, whatever the body.
        assertEquals(401, agent.postJson("/api/v1/collectors/" + gone + "/status", "{\"version\":\"one\"}").statusCode());
        assertEquals(401, agent.postJson("/api/v1/collectors/" + gone + "/status", "{").statusCode());
        assertEquals(401, agent.postJson("/api/v1/metrics/push", "{\"samples\":[{\"name\":\"1bad\"}]}").statusCode());
        assertEquals(401, agent.postJson("/api/v1/metrics/push", "not json").statusCode());
    }

    /**
     * A request with a flaw, on one collector's id, and the answer the flaw gets for a live collector.
     */
    private record Flawed(String name, int flaw, java.util.function.BiFunction<ApiClient, String, HttpResponse<String>> request) {
        HttpResponse<String> send(ApiClient client, String id) {
            return request.apply(client, id);
        }
    }

    private static HttpResponse<String> patch(ApiClient c, String path, String json) {
        return c.send(c.request(path).header("Content-Type", "application/json")
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(json)));
    }

    /** Every route about a live collector, each with requests it refuses for what they carry. */
    private static java.util.List<Flawed> flawedCalls() {
        String config = "/api/v1/config/";
        return java.util.List.of(
                new Flawed("PUT malformed TOML", 422, (c, id) -> c.putToml(config + id, "[collector\npush_interval = \n")),
                new Flawed("PUT unknown key", 422, (c, id) -> c.putToml(config + id, "[collector]\nno_such_key = 1\n")),
                new Flawed("PUT value out of range", 422, (c, id) -> c.putToml(config + id, "[collector]\npush_interval = 0\n")),
                new Flawed("PUT empty body", 400, (c, id) -> c.putToml(config + id, "")),
                new Flawed("PUT as JSON", 415, (c, id) -> c.send(c.request(config + id).header("Content-Type", "application/json")
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{}")))),
                new Flawed("PUT malformed If-Match", 400, (c, id) -> c.putToml(config + id,
                        "[collector]\npush_interval = 18\n", "If-Match", "not-a-tag")),
                new Flawed("PUT stale If-Match", 412, (c, id) -> c.putToml(config + id,
                        "[collector]\npush_interval = 18\n", "If-Match", "\"0-0000000000000000\"")),
                new Flawed("PUT escape in X-Change-Message", 400, (c, id) -> c.putToml(config + id,
                        "[collector]\npush_interval = 18\n", "X-Change-Message", "UTF-8''a%1Bb")),
                new Flawed("PUT force=maybe", 400, (c, id) -> c.putToml(config + id + "?force=maybe",
                        "[collector]\npush_interval = 18\n")),
                new Flawed("PUT unknown parameter", 400, (c, id) -> c.putToml(config + id + "?nope=1",
                        "[collector]\npush_interval = 18\n")),
                new Flawed("rollback to a missing version", 404, (c, id) -> c.postJson(config + id + "/rollback",
                        "{\"to_version\":99}")),
                new Flawed("rollback to a bad version", 400, (c, id) -> c.postJson(config + id + "/rollback",
                        "{\"to_version\":\"one\"}")),
                new Flawed("rollback without a version", 400, (c, id) -> c.postJson(config + id + "/rollback", "{}")),
                new Flawed("rollback with a two-line message", 400, (c, id) -> c.postJson(config + id + "/rollback",
                        "{\"to_version\":1,\"message\":\"a\\nb\"}")),
                new Flawed("rollback with malformed JSON", 400, (c, id) -> c.postJson(config + id + "/rollback", "{")),
                new Flawed("GET config with a bad wait", 400, (c, id) -> c.get(config + id + "?wait=abc")),
                new Flawed("GET config with wait twice", 400, (c, id) -> c.get(config + id + "?wait=1&wait=2")),
                new Flawed("GET config with a malformed If-None-Match", 400, (c, id) -> c.get(config + id,
                        "If-None-Match", "not-a-tag")),
                new Flawed("GET own layer with an unknown parameter", 400, (c, id) -> c.get(config + id + "/own?x=1")),
                new Flawed("PATCH a label name no selector can name", 400, (c, id) -> patch(c, "/api/v1/collectors/" + id,
                        "{\"labels\":{\"not a name\":\"x\"}}")),
                new Flawed("PATCH labels that are not an object", 400, (c, id) -> patch(c, "/api/v1/collectors/" + id,
                        "{\"labels\":5}")),
                new Flawed("PATCH an unknown field", 400, (c, id) -> patch(c, "/api/v1/collectors/" + id, "{\"tags\":{}}")),
                new Flawed("PATCH a bad force", 400, (c, id) -> patch(c, "/api/v1/collectors/" + id + "?force=maybe",
                        "{\"labels\":{}}")),
                new Flawed("DELETE with an unknown parameter", 400, (c, id) -> c.send(c.request("/api/v1/collectors/" + id
                        + "?hard=true").DELETE())),
                new Flawed("revoke with an unknown parameter", 400, (c, id) -> c.postJson("/api/v1/collectors/" + id
                        + "/revoke?now=1", "")),
                new Flawed("enrolment token with an unknown parameter", 400, (c, id) -> c.postJson("/api/v1/collectors/" + id
                        + "/enrolment-token?ttl=1", "")),
                new Flawed("GET collector with an unknown parameter", 400, (c, id) -> c.get("/api/v1/collectors/" + id
                        + "?limit=1")),
                new Flawed("GET effective with an unknown parameter", 400, (c, id) -> c.get("/api/v1/collectors/" + id
                        + "/effective?x=1")),
                new Flawed("POST collector with labels that would be refused", 400, (c, id) -> c.postJson(
                        "/api/v1/collectors", "{\"id\":\"" + fresh(id) + "\",\"labels\":{\"not a name\":\"x\"}}")),
                new Flawed("POST collector with an unknown field", 400, (c, id) -> c.postJson("/api/v1/collectors",
                        "{\"id\":\"" + fresh(id) + "\",\"colour\":\"red\"}")));
    }

    /** The live side of provisioning is an id nobody has: provisioning an existing one is a conflict. */
    private static String fresh(String id) {
        return id.equals("flawed-live") ? "flawed-fresh" : id;
    }

    @Test
    void aWatchOfACollectorHeldAtItsDecommissionAnswersGoneAtOnce() throws Exception {
        ApiClient admin = SERVER.admin();
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"watched-1\"}"));
        created(admin.putToml("/api/v1/config/watched-1", "[collector]\npush_interval = 13\n"));
        assertEquals(200, admin.get("/api/v1/config/watched-1").statusCode());
        ApiClient viewer = SERVER.newUser("wanda", "viewer");

        CompletableFuture<HttpResponse<String>> held = CompletableFuture
                .supplyAsync(() -> viewer.get("/api/v1/config/watched-1?wait=60&after=1"));
        DatabaseWaits.awaitCondition(() -> SERVER.admin().get("/observe/metrics").body().lines()
                .anyMatch(l -> l.startsWith("pgfleet_watches_held ") && !l.endsWith(" 0.0")), "the watch is held");
        assertEquals(204, admin.send(admin.request("/api/v1/collectors/watched-1").DELETE()).statusCode());

        assertEquals(410, held.get(30, TimeUnit.SECONDS).statusCode(),
                "the watch ended at the decommission, well before its 60 s hold");
    }

    @Test
    void anAgentEnrollingWithATokenHasTheHostNameItSentRecorded() throws Exception {
        ApiClient admin = SERVER.admin();
        created(admin.postJson("/api/v1/collectors", "{\"id\":\"pre-01\",\"labels\":{\"enrol\":\"f7\"}}"));
        String token = issue("pre-01");
        // What an agent sends when it registers, with the secret or a token alike.
        HttpResponse<String> enrolled = SERVER.anonymous().register(
                "{\"name\":\"pre-01\",\"hostname\":\"vm-7\",\"labels\":{}}", "X-Enrolment-Token", token);
        assertEquals(201, enrolled.statusCode(), enrolled.body());

        HttpResponse<String> shown = admin.get("/api/v1/collectors?selector=enrol=f7");
        assertEquals(200, shown.statusCode(), shown.body());
        assertTrue(shown.body().contains("\"id\":\"pre-01\",\"name\":\"pre-01\",\"hostname\":\"vm-7\""),
                "the fleet view shows the host it runs on: " + shown.body());

        // An agent that sends no host name (an older one) leaves what the collector has.
        HttpResponse<String> again = SERVER.anonymous().register("{\"name\":\"pre-01\"}", "X-Enrolment-Token",
                issue("pre-01"));
        assertEquals(201, again.statusCode(), again.body());
        assertTrue(admin.get("/api/v1/collectors/pre-01").body().contains("\"hostname\":\"vm-7\""));

        // A host name set before is replaced in plain sight: the audit entry names both.
        HttpResponse<String> moved = SERVER.anonymous().register("{\"name\":\"pre-01\",\"hostname\":\"vm-8\"}",
                "X-Enrolment-Token", issue("pre-01"));
        assertEquals(201, moved.statusCode(), moved.body());
        String audit = admin.get("/api/v1/audit?collector_id=pre-01").body();
        assertTrue(audit.contains("hostname 'vm-7' -> 'vm-8'"), audit);
    }

    private static String issue(String id) {
        HttpResponse<String> issued = SERVER.admin().postJson("/api/v1/collectors/" + id + "/enrolment-token", "");
        assertEquals(201, issued.statusCode(), issued.body());
        return issued.body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");
    }

    private static void created(HttpResponse<String> r) {
        assertEquals(201, r.statusCode(), r.body());
    }
}
