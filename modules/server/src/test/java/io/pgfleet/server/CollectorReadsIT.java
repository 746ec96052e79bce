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
 * its effective document and its watch), and the host name an enrolling agent sends, over real
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
