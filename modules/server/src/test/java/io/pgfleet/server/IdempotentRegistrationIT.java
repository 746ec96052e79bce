package io.pgfleet.server;

import io.pgfleet.domain.common.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A registration whose answer is lost (the server committed, the network cut) and that the agent
 * sends again with the same Idempotency-Key: one collector, never a ghost. Over real HTTP and
 * PostgreSQL; "losing" an answer is simply sending the request again.
 */
class IdempotentRegistrationIT {

    private static final String SECRET_HEADER = "X-Registration-Secret";
    private static final String SECRET = ServerSettings.TEST_REGISTRATION_SECRET;
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    @Test
    void aRetryWithTheKeyOfARegistrationWhoseAnswerWasLostGetsTheSameCollectorAndRevokesTheLostTokens() throws Exception {
        String body = "{\"name\":\"lost-answer\",\"hostname\":\"db-1\",\"labels\":{\"case\":\"lost\"}}";
        HttpResponse<String> lost = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "lost-answer-key-0001");
        assertEquals(201, lost.statusCode(), lost.body());
        HttpResponse<String> retried = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "lost-answer-key-0001");
        assertEquals(201, retried.statusCode(), retried.body());

        String id = ApiClient.field(lost.body(), "collector_id");
        assertEquals(id, ApiClient.field(retried.body(), "collector_id"), "the same collector");
        assertEquals("true", retried.headers().firstValue("Idempotent-Replayed").orElse(""));
        assertFalse(lost.headers().firstValue("Idempotent-Replayed").isPresent());
        assertEquals(List.of(id), listed("case%3Dlost"), "one collector in the fleet, no ghost");

        assertEquals(401, refresh(ApiClient.field(lost.body(), "refresh_token")).statusCode(),
                "the lost answer's refresh token is revoked");
        assertEquals(200, refresh(ApiClient.field(retried.body(), "refresh_token")).statusCode(),
                "the retry's tokens are the collector's");
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.register' AND collector_id = ?", id));
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.register_replayed'"
                + " AND collector_id = ?", id), "the replay is audited as such");

        // Without a key every request registers, as before.
        HttpResponse<String> unkeyed = register(body.replace("lost", "unkeyed"), SECRET_HEADER, SECRET);
        HttpResponse<String> again = register(body.replace("lost", "unkeyed"), SECRET_HEADER, SECRET);
        assertEquals(2, Set.of(ApiClient.field(unkeyed.body(), "collector_id"),
                ApiClient.field(again.body(), "collector_id")).size());
    }

    @Test
    void aOneTimeEnrolmentTokenRetriedWithItsKeyWorksAgainInsteadOfBeingAlreadyUsed() throws Exception {
        String token = SERVER.admin().enrolmentTokenForNew("pre-idem");
        String body = "{\"name\":\"pre-idem\"}";

        HttpResponse<String> lost = register(body, "X-Enrolment-Token", token, "Idempotency-Key", "enrolment-key-00001");
        assertEquals(201, lost.statusCode(), lost.body());
        HttpResponse<String> retried = register(body, "X-Enrolment-Token", token, "Idempotency-Key", "enrolment-key-00001");
        assertEquals(201, retried.statusCode(), "not 'token already used': " + retried.body());
        assertEquals("pre-idem", ApiClient.field(retried.body(), "collector_id"));
        assertEquals(401, refresh(ApiClient.field(lost.body(), "refresh_token")).statusCode());
        assertEquals(200, refresh(ApiClient.field(retried.body(), "refresh_token")).statusCode());

        assertEquals(401, register(body, "X-Enrolment-Token", token).statusCode(), "without the key the token is spent");
        assertEquals(401, register(body, "X-Enrolment-Token", token, "Idempotency-Key", "another-key-000001")
                .statusCode(), "and with another key");
    }

    @Test
    void aRetryOfARegistrationWhoseLabelsTodaysRuleRefusesIsReplayedWhileANewOneIsRefused() throws Exception {
        // Registered keyed, then left as an earlier release with a looser label rule would have left
        // it: the collector holding a label name with a space, the key naming the request that sent it.
        String first = "{\"name\":\"legacy\",\"hostname\":\"db-9\"}";
        HttpResponse<String> lost = register(first, SECRET_HEADER, SECRET, "Idempotency-Key", "legacy-labels-0001");
        assertEquals(201, lost.statusCode(), lost.body());
        String id = ApiClient.field(lost.body(), "collector_id");
        try (Connection c = SERVER.database().connect();
             PreparedStatement labels = c.prepareStatement(
                     "UPDATE collectors SET labels = '{\"rack 7\": \"a\"}'::jsonb WHERE id = ?");
             PreparedStatement key = c.prepareStatement(
                     "UPDATE registration_keys SET request_hash = ? WHERE collector_id = ?")) {
            labels.setString(1, id);
            assertEquals(1, labels.executeUpdate());
            key.setString(1, requestHash("legacy", "db-9", "rack 7", "a"));
            key.setString(2, id);
            assertEquals(1, key.executeUpdate());
        }
        String retry = "{\"name\":\"legacy\",\"hostname\":\"db-9\",\"labels\":{\"rack 7\":\"a\"}}";

        HttpResponse<String> replayed = register(retry, SECRET_HEADER, SECRET, "Idempotency-Key", "legacy-labels-0001");
        assertEquals(201, replayed.statusCode(), "the agent gets its collector back: " + replayed.body());
        assertEquals(id, ApiClient.field(replayed.body(), "collector_id"));
        assertEquals("true", replayed.headers().firstValue("Idempotent-Replayed").orElse(""));
        assertEquals(200, refresh(ApiClient.field(replayed.body(), "refresh_token")).statusCode());

        long collectors = count("SELECT count(*) FROM collectors");
        long keys = count("SELECT count(*) FROM registration_keys");
        HttpResponse<String> unkeyed = register(retry, SECRET_HEADER, SECRET);
        assertEquals(400, unkeyed.statusCode(), "a new registration gets today's rule: " + unkeyed.body());
        assertTrue(unkeyed.body().contains("rack 7"), unkeyed.body());
        HttpResponse<String> newKey = register(retry, SECRET_HEADER, SECRET, "Idempotency-Key", "legacy-labels-0002");
        assertEquals(400, newKey.statusCode(), "so does one with an unused key: " + newKey.body());
        assertEquals(collectors, count("SELECT count(*) FROM collectors"), "nothing created");
        assertEquals(keys, count("SELECT count(*) FROM registration_keys"), "the refused request holds no key");
    }

    /**
     * The request hash the server keeps with a key, as every release since keys were introduced has
     * computed it for a registration with the secret: should it change, retries across an upgrade
     * would be refused as another request.
     */
    private static String requestHash(String name, String hostname, String labelName, String labelValue) {
        StringBuilder sb = new StringBuilder();
        for (String part : List.of(name, hostname, labelName, labelValue)) {
            sb.append(part.length()).append(':').append(part).append(';');
        }
        return Sha256.hex(sb.append('|').toString());
    }

    @Test
    void twoRequestsWithOneKeyAtOnceMakeOneCollector() throws Exception {
        int requests = 8;
        String body = "{\"name\":\"twins\",\"labels\":{\"case\":\"twins\"}}";
        CountDownLatch start = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        try (ExecutorService agents = Executors.newFixedThreadPool(requests)) {
            for (int i = 0; i < requests; i++) {
                answers.add(agents.submit(() -> {
                    start.await();
                    return register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "concurrent-key-0001");
                }));
            }
            start.countDown();
            Set<String> ids = new HashSet<>();
            int replayed = 0;
            for (Future<HttpResponse<String>> a : answers) {
                HttpResponse<String> r = a.get();
                assertEquals(201, r.statusCode(), r.body());
                ids.add(ApiClient.field(r.body(), "collector_id"));
                replayed += r.headers().firstValue("Idempotent-Replayed").isPresent() ? 1 : 0;
            }
            assertEquals(1, ids.size(), "every answer names the same collector: " + ids);
            assertEquals(requests - 1, replayed, "one registered, the others were replays");
            assertEquals(List.copyOf(ids), listed("case%3Dtwins"));
            assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'collector.register' AND collector_id = ?",
                    ids.iterator().next()));
        }
    }

    @Test
    void theSameKeyWithAnotherRequestIsRefusedAndCreatesNothing() throws Exception {
        HttpResponse<String> first = register("{\"name\":\"first\",\"labels\":{\"case\":\"reused\"}}",
                SECRET_HEADER, SECRET, "Idempotency-Key", "reused-key-0000001");
        assertEquals(201, first.statusCode(), first.body());
        long collectors = count("SELECT count(*) FROM collectors");
        long audit = count("SELECT count(*) FROM audit_log");

        HttpResponse<String> other = register("{\"name\":\"second\",\"labels\":{\"case\":\"reused\"}}",
                SECRET_HEADER, SECRET, "Idempotency-Key", "reused-key-0000001");
        assertEquals(422, other.statusCode(), other.body());
        assertEquals("application/problem+json", other.headers().firstValue("Content-Type").orElse(""));
        assertTrue(other.body().contains("idempotency-key-reused"), other.body());
        HttpResponse<String> otherLabels = register("{\"name\":\"first\",\"labels\":{\"case\":\"reused\",\"x\":\"y\"}}",
                SECRET_HEADER, SECRET, "Idempotency-Key", "reused-key-0000001");
        assertEquals(422, otherLabels.statusCode(), otherLabels.body());

        assertEquals(collectors, count("SELECT count(*) FROM collectors"), "nothing created");
        assertEquals(audit, count("SELECT count(*) FROM audit_log"), "nothing audited");
        assertEquals(200, refresh(ApiClient.field(first.body(), "refresh_token")).statusCode(),
                "the first registration's tokens are untouched");
        assertEquals(List.of(ApiClient.field(first.body(), "collector_id")), listed("case%3Dreused"));
    }

    @Test
    void aKeyOfTheWrongShapeIsABadRequestAndChangesNothing() throws Exception {
        long collectors = count("SELECT count(*) FROM collectors");
        for (String key : List.of("", "too-short-key", "x".repeat(129), "sixteen chars ok but spaces", "key.with.dots.0001")) {
            HttpResponse<String> r = register("{\"name\":\"bad-key\"}", SECRET_HEADER, SECRET, "Idempotency-Key", key);
            assertEquals(400, r.statusCode(), key + ": " + r.body());
            assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
            assertTrue(r.body().contains("Idempotency-Key"), r.body());
        }
        assertEquals(collectors, count("SELECT count(*) FROM collectors"));
    }

    @Test
    void aRetryForACollectorRevokedMeanwhileIsRefusedAndCreatesNothing() throws Exception {
        String body = "{\"name\":\"revoked\",\"labels\":{\"case\":\"revoked\"}}";
        HttpResponse<String> first = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "revoked-key-000001");
        assertEquals(201, first.statusCode(), first.body());
        String id = ApiClient.field(first.body(), "collector_id");
        assertEquals(204, SERVER.admin().postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
        long collectors = count("SELECT count(*) FROM collectors");

        HttpResponse<String> retried = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "revoked-key-000001");
        assertEquals(401, retried.statusCode(), "a replay does not lift a revocation: " + retried.body());
        assertTrue(retried.body().contains("https://pgfleet.io/problems/registration-key-outlived"), retried.body());
        assertEquals(collectors, count("SELECT count(*) FROM collectors"), "nor does it register anew");
    }

    /**
     * The host a collector was taken from (revoked, then re-bound to a re-imaged host with an
     * enrolment token) kept its registration's key and the fleet's secret: its retry within the
     * key's 24 hours was answered as a lost answer, with a fresh session of the collector, and the
     * identity was again in two hands. The session the key's answer opened ended with the re-bind.
     */
    @Test
    void aRetryAfterTheCollectorWasEnrolledOnAnotherHostIsRefusedAndTheNewHostKeepsIt() throws Exception {
        String body = "{\"name\":\"taken\",\"labels\":{\"case\":\"taken\"}}";
        HttpResponse<String> first = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "taken-back-key-0001");
        assertEquals(201, first.statusCode(), first.body());
        String id = ApiClient.field(first.body(), "collector_id");
        assertEquals(204, SERVER.admin().postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
        HttpResponse<String> issued = SERVER.admin().postJson("/api/v1/collectors/" + id + "/enrolment-token", "");
        assertEquals(201, issued.statusCode(), issued.body());
        HttpResponse<String> rebound = register("{\"hostname\":\"reimaged\"}", "X-Enrolment-Token",
                issued.body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1"));
        assertEquals(201, rebound.statusCode(), rebound.body());

        HttpResponse<String> retried = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "taken-back-key-0001");
        assertEquals(401, retried.statusCode(), "the identity is not taken back: " + retried.body());
        // Told apart from a wrong secret (which this one is not), so the agent stops using the key.
        assertTrue(retried.body().contains("https://pgfleet.io/problems/registration-key-outlived"), retried.body());
        ApiClient newHost = new ApiClient(SERVER.port());
        newHost.useToken(ApiClient.field(rebound.body(), "access_token"));
        assertEquals(404, newHost.get("/api/v1/config/" + id).statusCode(), "the re-bound host goes on (nothing published)");
        assertEquals(200, refresh(ApiClient.field(rebound.body(), "refresh_token")).statusCode());
    }

    /**
     * A fleet behind one address (a NAT, or a proxy every client comes through) whose registrations'
     * answers were lost and whose collectors an operator revoked meanwhile: each agent's retry is
     * refused for good, and audited, but it is no guess (the key names a registration only with the
     * right credential). Counted as a failure of the address, 30 of them held back every login from
     * it, the operators' own, until the minute ended.
     */
    @Test
    void retriesWhoseKeysOutlivedTheirCollectorsDoNotHoldTheAddressesLoginsBack() throws Exception {
        for (int i = 0; i < 30; i++) {
            String key = String.format("nat-fleet-key-%05d", i);
            String body = "{\"name\":\"nat-" + i + "\",\"labels\":{\"case\":\"nat\"}}";
            HttpResponse<String> first = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", key);
            assertEquals(201, first.statusCode(), first.body());
            String id = ApiClient.field(first.body(), "collector_id");
            assertEquals(204, SERVER.admin().postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
            HttpResponse<String> retried = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", key);
            assertEquals(401, retried.statusCode(), retried.body());
            assertTrue(retried.body().contains("registration-key-outlived"), retried.body());
        }
        assertEquals(200, new ApiClient(SERVER.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD).statusCode(),
                "an operator behind the fleet's address still logs in");
        assertTrue(count("SELECT count(*) FROM audit_log WHERE action = 'collector.register_refused'"
                + " AND detail LIKE '%revoked or gone%'") >= 30, "each refusal is audited");
    }

    @Test
    void aKeyPastItsRetentionNoLongerNamesItsCollector() throws Exception {
        String body = "{\"name\":\"old-key\",\"labels\":{\"case\":\"old\"}}";
        HttpResponse<String> first = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "day-old-key-000001");
        assertEquals(201, first.statusCode(), first.body());
        try (Connection c = SERVER.database().connect(); PreparedStatement ps = c.prepareStatement(
                "UPDATE registration_keys SET created_at = created_at - interval '25 hours'")) {
            ps.executeUpdate();
        }
        HttpResponse<String> late = register(body, SECRET_HEADER, SECRET, "Idempotency-Key", "day-old-key-000001");
        assertEquals(201, late.statusCode(), late.body());
        assertFalse(late.headers().firstValue("Idempotent-Replayed").isPresent(), "a new registration");
        assertEquals(2, listed("case%3Dold").size());
    }

    private static HttpResponse<String> register(String body, String... headers) {
        return SERVER.anonymous().register(body, headers);
    }

    private static HttpResponse<String> refresh(String refreshToken) {
        return new ApiClient(SERVER.port()).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    /** The ids {@code GET /api/v1/collectors} lists for a label selector. */
    private static List<String> listed(String selector) {
        HttpResponse<String> r = SERVER.admin().get("/api/v1/collectors?selector=" + selector);
        assertEquals(200, r.statusCode(), r.body());
        List<String> ids = new ArrayList<>();
        Matcher m = ID.matcher(r.body());
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    private static long count(String sql, Object... params) throws SQLException {
        return SERVER.database().count(sql, params);
    }
}
