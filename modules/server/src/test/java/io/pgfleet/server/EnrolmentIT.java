package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Enrolment tokens over real HTTP and PostgreSQL: what an agent registering with one takes over,
 * what the audit trail says of it, and that a decommissioned collector never comes back.
 */
class EnrolmentIT {

    private static final String TOKEN = "X-Enrolment-Token";

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    @Test
    void anEnrolmentEndsTheWatchTheHostTheIdentityWasTakenFromHoldsAtOnce() throws Exception {
        ApiClient admin = SERVER.admin();
        HttpResponse<String> first = anonymous().register("{\"name\":\"moved-1\"}", TOKEN,
                admin.enrolmentTokenForNew("moved-1"));
        assertEquals(201, first.statusCode(), first.body());
        created(admin.putToml("/api/v1/config/moved-1", "[collector]\npush_interval = 12\n"));
        ApiClient old = new ApiClient(SERVER.port());
        old.useToken(ApiClient.field(first.body(), "access_token"));
        assertEquals(200, old.get("/api/v1/config/moved-1").statusCode());

        // The old host waits for a change it will never be given: the identity moves to another host.
        java.util.concurrent.CompletableFuture<HttpResponse<String>> held = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> old.get("/api/v1/config/moved-1?wait=60&after=1"));
        DatabaseWaits.awaitCondition(() -> SERVER.admin().get("/observe/metrics").body().lines()
                .anyMatch(l -> l.startsWith("pgfleet_watches_held ") && !l.endsWith(" 0.0")), "the watch is held");
        HttpResponse<String> second = anonymous().register("{\"name\":\"moved-1\"}", TOKEN, issue("moved-1"));
        assertEquals(201, second.statusCode(), second.body());

        assertEquals(401, held.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode(),
                "the session the identity was taken from ended, and its watch with it, before its hold did");
        assertEquals(401, old.get("/api/v1/config/moved-1").statusCode());
    }

    @Test
    void refusesToBringADecommissionedCollectorBackWithANewOrAnEarlierEnrolmentToken() throws Exception {
        ApiClient admin = SERVER.admin();
        String earlier = admin.enrolmentTokenForNew("retired-1");
        HttpResponse<String> first = anonymous().register("{\"name\":\"retired-1\"}", TOKEN, issue("retired-1"));
        assertEquals(201, first.statusCode(), first.body());
        ApiClient agent = new ApiClient(SERVER.port());
        agent.useToken(ApiClient.field(first.body(), "access_token"));
        String refreshToken = ApiClient.field(first.body(), "refresh_token");
        created(admin.putToml("/api/v1/config/retired-1", "[collector]\npush_interval = 12\n"));
        assertEquals(200, agent.get("/api/v1/config/retired-1").statusCode());

        assertEquals(204, admin.send(admin.request("/api/v1/collectors/retired-1").DELETE()).statusCode());

        assertEquals(410, admin.postJson("/api/v1/collectors/retired-1/enrolment-token", "").statusCode(),
                "no new enrolment token");
        assertEquals(410, admin.postJson("/api/v1/collectors/retired-1/revoke", "").statusCode(),
                "nothing left to revoke: it is gone");
        HttpResponse<String> zombie = anonymous().register("{\"name\":\"zombie\"}", TOKEN, earlier);
        assertEquals(401, zombie.statusCode(), "a token issued before the decommission is refused: " + zombie.body());
        assertEquals(401, refresh(refreshToken).statusCode(), "its token family is revoked");
        assertEquals(401, agent.get("/api/v1/config/retired-1").statusCode());
        assertEquals(401, agent.postJson("/api/v1/collectors/retired-1/status",
                "{\"version\":1,\"status\":\"APPLIED\",\"error\":\"\"}").statusCode());
        assertEquals(401, agent.postJson("/api/v1/metrics/push", "{\"samples\":[]}").statusCode());

        assertEquals(410, admin.send(admin.request("/api/v1/collectors/retired-1").header("Content-Type",
                "application/json").method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\":{\"a\":\"b\"}}")))
                .statusCode(), "its labels are no longer anyone's to change");
        assertEquals(410, admin.putToml("/api/v1/config/retired-1", "[collector]\npush_interval = 13\n").statusCode(),
                "nor its document");
        assertEquals(200, admin.get("/api/v1/config/retired-1/versions").statusCode(), "its history stays readable");
        assertTrue(admin.get("/api/v1/audit?collector_id=retired-1").body().contains("collector.decommission"));
        assertFalse(admin.get("/api/v1/collectors").body().contains("\"id\":\"retired-1\""));
        assertEquals(1, count("SELECT count(*) FROM collectors WHERE id = 'retired-1' AND revoked_at IS NOT NULL"));
        assertEquals(0, count("SELECT count(*) FROM refresh_tokens WHERE subject = 'retired-1' AND revoked_at IS NULL"));
        assertEquals(0, count("SELECT count(*) FROM audit_log WHERE collector_id = 'retired-1'"
                + " AND action IN ('collector.revoke', 'collector.enrolment_token', 'collector.enrol')"
                + " AND at > (SELECT decommissioned_at FROM collectors WHERE id = 'retired-1')"),
                "nothing but the decommission was done to it afterwards");
    }

    @Test
    void answersAnEnrolmentTokenOrARefreshOfADecommissionedCollectorWithWhenAndThatItsIdIsNotReused() throws Exception {
        ApiClient admin = SERVER.admin();
        HttpResponse<String> registered = anonymous().register("{}", TOKEN, admin.enrolmentTokenForNew("retired-3"));
        assertEquals(201, registered.statusCode(), registered.body());
        String refreshToken = ApiClient.field(registered.body(), "refresh_token");
        ApiClient agent = new ApiClient(SERVER.port());
        agent.useToken(ApiClient.field(registered.body(), "access_token"));
        assertEquals(204, admin.send(admin.request("/api/v1/collectors/retired-3").DELETE()).statusCode());
        String at = SERVER.decommissionedAt("retired-3");

        HttpResponse<String> enrolment = admin.postJson("/api/v1/collectors/retired-3/enrolment-token", "");
        assertEquals(410, enrolment.statusCode(), enrolment.body());
        assertTrue(enrolment.body().contains("problems/collector-decommissioned"), enrolment.body());
        assertTrue(enrolment.body().contains("decommissioned at " + at), enrolment.body());
        assertTrue(enrolment.body().contains("register the host under a new id"), enrolment.body());

        HttpResponse<String> refused = refresh(refreshToken);
        assertEquals(401, refused.statusCode(), "still a refusal, as an earlier agent expects: " + refused.body());
        assertTrue(refused.body().contains("problems/collector-decommissioned"), refused.body());
        assertTrue(refused.body().contains("'retired-3' was decommissioned at " + at), refused.body());

        // Nobody else learns of it: an unknown refresh token, and a collector asking for a token.
        HttpResponse<String> unknown = refresh("not-a-token-anyone-holds");
        assertEquals(401, unknown.statusCode());
        assertFalse(unknown.body().contains("decommissioned"), unknown.body());
        HttpResponse<String> other = anonymous().register("{}", TOKEN, admin.enrolmentTokenForNew("active-3"));
        ApiClient collector = new ApiClient(SERVER.port());
        collector.useToken(ApiClient.field(other.body(), "access_token"));
        HttpResponse<String> asked = collector.postJson("/api/v1/collectors/retired-3/enrolment-token", "");
        assertEquals(403, asked.statusCode(), asked.body());
        assertFalse(asked.body().contains("decommissioned"), asked.body());
    }

    @Test
    void refusesToLiftTheRevocationOfADecommissionedCollectorEvenInTheDatabase() throws Exception {
        SERVER.admin().createCollector("retired-2");
        assertEquals(204, SERVER.admin().send(SERVER.admin().request("/api/v1/collectors/retired-2").DELETE())
                .statusCode());
        // What an instance of the previous release still running during an upgrade would do.
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement()) {
            SQLException refused = assertThrows(SQLException.class,
                    () -> s.executeUpdate("UPDATE collectors SET revoked_at = NULL WHERE id = 'retired-2'"));
            assertTrue(refused.getMessage().contains("collectors_decommissioned_stay_revoked"), refused.getMessage());
        }
    }

    @Test
    void registeringWithAnEnrolmentTokenIsAuditedAndSaysWhenItLiftsARevocation() throws Exception {
        ApiClient admin = SERVER.admin();
        String token = admin.enrolmentTokenForNew("enrolled-1");
        HttpResponse<String> first = anonymous().register("{}", TOKEN, token);
        assertEquals(201, first.statusCode(), first.body());
        String audit = admin.get("/api/v1/audit?collector_id=enrolled-1").body();
        assertTrue(audit.contains("\"action\":\"collector.enrol\""), audit);
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.enrol'"
                + " AND collector_id = 'enrolled-1' AND actor = 'enrolled-1' AND detail NOT LIKE '%revocation%'"));

        assertEquals(401, anonymous().register("{}", TOKEN, token).statusCode(), "a spent token");
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.enrol'"
                + " AND collector_id = 'enrolled-1'"), "a refused registration enrols nothing");

        assertEquals(204, admin.postJson("/api/v1/collectors/enrolled-1/revoke", "").statusCode());
        HttpResponse<String> rebound = anonymous().register("{}", TOKEN, issue("enrolled-1"));
        assertEquals(201, rebound.statusCode(), rebound.body());
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.enrol'"
                + " AND collector_id = 'enrolled-1' AND detail LIKE '%revocation lifted%'"), "the re-bind says so");
        assertEquals(200, refresh(ApiClient.field(rebound.body(), "refresh_token")).statusCode());
    }

    @Test
    void anEnrolmentHandsTheIdentityToTheEnrollingAgentAloneSoTheHostItWasTakenFromRefreshesNoMore() throws Exception {
        ApiClient admin = SERVER.admin();
        HttpResponse<String> before = anonymous().register("{}", TOKEN, admin.enrolmentTokenForNew("reimaged-1"));
        assertEquals(201, before.statusCode(), before.body());
        String oldHost = ApiClient.field(before.body(), "refresh_token");
        assertEquals(200, refresh(oldHost).statusCode(), "the first host's identity works");
        String oldHostNow = ApiClient.field(refresh(oldHost).body(), "refresh_token");

        // The host is re-imaged; the operator re-binds the collector without revoking it first.
        HttpResponse<String> after = anonymous().register("{}", TOKEN, issue("reimaged-1"));
        assertEquals(201, after.statusCode(), after.body());
        assertEquals(401, refresh(oldHostNow).statusCode(), "the identity is no longer the old host's");
        assertEquals(200, refresh(ApiClient.field(after.body(), "refresh_token")).statusCode(),
                "the enrolling agent's own family is not touched");
    }

    private static String issue(String id) {
        HttpResponse<String> issued = SERVER.admin().postJson("/api/v1/collectors/" + id + "/enrolment-token", "");
        assertEquals(201, issued.statusCode(), issued.body());
        return issued.body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");
    }

    private static ApiClient anonymous() {
        return SERVER.anonymous();
    }

    private static void created(HttpResponse<String> r) {
        assertEquals(201, r.statusCode(), r.body());
    }

    private static HttpResponse<String> refresh(String refreshToken) {
        return anonymous().postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    private static long count(String sql) throws SQLException {
        return SERVER.database().count(sql);
    }
}
