package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every kind of bad credential answers 401; a well-made one answers 200. */
class TokenRejectionIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();




    private static int statusWith(String authorization) {
        ApiClient c = new ApiClient(SERVER.port());
        return c.send(c.request("/api/v1/users").header("Authorization", authorization).GET()).statusCode();
    }

    private static int statusWithToken(String token) {
        return statusWith("Bearer " + token);
    }

    @Test
    void aCorrectlyMadeTokenIsAccepted() throws Exception {
        assertEquals(200, statusWithToken(TestTokens.withServerKey(SERVER.database()).signed()),
                "the test's own token factory must make tokens the server accepts");
    }

    @Test
    void forgedSignaturesAreRefused() throws Exception {
        String good = TestTokens.withServerKey(SERVER.database()).signed();
        String[] parts = good.split("\\.");
        char last = parts[2].charAt(0);
        String tampered = parts[0] + "." + parts[1] + "." + (last == 'A' ? 'B' : 'A') + parts[2].substring(1);
        assertEquals(401, statusWithToken(tampered));
        assertEquals(401, statusWithToken(TestTokens.withServerKey(SERVER.database()).signedWithAnotherKeyUnderTheSameKid().signed()));
        // A viewer's claims with an admin's role pasted in: the signature no longer matches.
        String viewer = TestTokens.withServerKey(SERVER.database()).subject("admin", "viewer").signed();
        String admin = TestTokens.withServerKey(SERVER.database()).subject("admin", "admin").signed();
        assertEquals(401, statusWithToken(viewer.split("\\.")[0] + "." + admin.split("\\.")[1] + "." + viewer.split("\\.")[2]));
    }

    @Test
    void algNoneIsRefused() throws Exception {
        assertEquals(401, statusWithToken(TestTokens.withServerKey(SERVER.database()).unsigned()));
    }

    @Test
    void expiredTokensAreRefused() throws Exception {
        assertEquals(401, statusWithToken(TestTokens.withServerKey(SERVER.database()).expiredAgo(120).signed()));
    }

    @Test
    void tokensOfAnotherIssuerOrAudienceAreRefused() throws Exception {
        assertEquals(401, statusWithToken(TestTokens.withServerKey(SERVER.database()).issuer("someone-else").signed()));
        assertEquals(401, statusWithToken(TestTokens.withServerKey(SERVER.database()).audience("another-api").signed()));
    }

    @Test
    void garbageInTheAuthorizationHeaderIsRefused() {
        assertEquals(401, statusWith("Bearer garbage"));
        assertEquals(401, statusWith("Bearer a.b.c"));
        assertEquals(401, statusWith("Basic YWRtaW46YWRtaW4="));
        assertEquals(401, statusWith("Bearer"));
        assertEquals(401, statusWith("Bearer " + "x".repeat(10_000)));
    }

    @Test
    void aRefreshTokenUsedTwiceRevokesItsFamily() {
        ApiClient c = new ApiClient(SERVER.port());
        HttpResponse<String> login = c.login("admin", ServerSettings.TEST_ADMIN_PASSWORD);
        String first = ApiClient.field(login.body(), "refresh_token");
        HttpResponse<String> refreshed = refresh(first);
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        String second = ApiClient.field(refreshed.body(), "refresh_token");
        assertEquals(200, statusWithToken(ApiClient.field(refreshed.body(), "access_token")));

        ageUsedRefreshTokens(Duration.ofSeconds(31));
        assertEquals(401, refresh(first).statusCode(), "a rotated refresh token is spent once its reuse grace is over");
        assertEquals(401, refresh(second).statusCode(), "reuse revoked the whole family");

        HttpResponse<String> otherLogin = new ApiClient(SERVER.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD);
        assertEquals(200, refresh(ApiClient.field(otherLogin.body(), "refresh_token")).statusCode(),
                "another login's family is untouched");
    }

    /** Moves every use of a refresh token back in time, as if that much time had passed since. */
    static void ageUsedRefreshTokens(Duration by) {
        try (java.sql.Connection c = SERVER.database().connect(); java.sql.PreparedStatement ps = c.prepareStatement(
                "UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => ?) WHERE used_at IS NOT NULL")) {
            ps.setLong(1, by.toSeconds());
            ps.executeUpdate();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aRefreshTokenPresentedAgainWithinTheGraceGetsAFreshPairOfTheSameFamily() {
        ApiClient c = new ApiClient(SERVER.port());
        String first = ApiClient.field(c.login("admin", ServerSettings.TEST_ADMIN_PASSWORD).body(), "refresh_token");
        HttpResponse<String> lost = refresh(first);
        assertEquals(200, lost.statusCode(), lost.body());
        // The answer above never reached its caller (restart, timeout, 503): it asks again at once.
        HttpResponse<String> again = refresh(first);
        assertEquals(200, again.statusCode(), "reuse within the grace is not theft: " + again.body());
        String next = ApiClient.field(again.body(), "refresh_token");
        assertEquals(200, statusWithToken(ApiClient.field(again.body(), "access_token")));
        HttpResponse<String> later = refresh(next);
        assertEquals(200, later.statusCode(), "the family goes on: " + later.body());

        ageUsedRefreshTokens(Duration.ofSeconds(31));
        assertEquals(401, refresh(first).statusCode(), "after the grace, reuse is theft");
        assertEquals(401, refresh(ApiClient.field(later.body(), "refresh_token")).statusCode(),
                "and it revokes the whole family");
    }

    @Test
    void aRevokedCollectorIsReboundToTheSameIdOnlyByAnEnrolmentTokenIssuedForIt() {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        HttpResponse<String> reg = register("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET);
        assertEquals(201, reg.statusCode(), reg.body());
        String id = ApiClient.field(reg.body(), "collector_id");
        String refresh = ApiClient.field(reg.body(), "refresh_token");
        assertEquals(204, admin.postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
        assertEquals(401, refresh(refresh).statusCode(), "a revoked collector's identity is refused");

        HttpResponse<String> issued = admin.postJson("/api/v1/collectors/" + id + "/enrolment-token", "");
        assertEquals(201, issued.statusCode(), issued.body());
        String token = issued.body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> rebound = register("X-Enrolment-Token", token);
        assertEquals(201, rebound.statusCode(), rebound.body());
        assertEquals(id, ApiClient.field(rebound.body(), "collector_id"), "the same collector, not a new one");
        ApiClient agent = new ApiClient(SERVER.port());
        agent.useToken(ApiClient.field(rebound.body(), "access_token"));
        assertEquals(404, agent.get("/api/v1/config/" + id).statusCode(), "its new tokens work (no configuration yet)");
        assertEquals(200, refresh(ApiClient.field(rebound.body(), "refresh_token")).statusCode());
        try (java.sql.Connection c = SERVER.database().connect(); java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT revoked_at IS NULL FROM collectors WHERE id = ?")) {
            ps.setString(1, id);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(true, rs.getBoolean(1), "using the token lifted the revocation");
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }

        assertEquals(401, register("X-Enrolment-Token", token).statusCode(), "the token works once");
    }

    @Test
    void anEnrolmentTokenPresentedByAnotherCollectorIsRefusedAndStaysUnusedForItsOwn() {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        String a = ApiClient.field(register("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET).body(),
                "collector_id");
        String b = ApiClient.field(register("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET).body(),
                "collector_id");
        assertEquals(204, admin.postJson("/api/v1/collectors/" + b + "/revoke", "").statusCode());
        String token = admin.postJson("/api/v1/collectors/" + b + "/enrolment-token", "").body()
                .replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");

        // Collector a's agent was handed b's token by mistake: refused, and nothing about b changes.
        HttpResponse<String> wrong = registerAs(a, token);
        assertEquals(401, wrong.statusCode(), wrong.body());
        assertEquals(false, notRevoked(b), "b stays revoked");

        HttpResponse<String> right = registerAs(b, token);
        assertEquals(201, right.statusCode(), "the token still works for b: " + right.body());
        assertEquals(b, ApiClient.field(right.body(), "collector_id"));
        assertEquals(true, notRevoked(b));
        assertEquals(400, registerAs("../x", token).statusCode(), "a malformed id is a bad request");
    }

    private static HttpResponse<String> registerAs(String collectorId, String token) {
        return SERVER.anonymous().register("{\"name\":\"rebind\"}", "X-Enrolment-Token", token, "X-Collector-Id",
                collectorId);
    }

    private static boolean notRevoked(String id) {
        try (java.sql.Connection c = SERVER.database().connect(); java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT revoked_at IS NULL FROM collectors WHERE id = ?")) {
            ps.setString(1, id);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> register(String header, String value) {
        return SERVER.anonymous().register("{\"name\":\"rebind\"}", header, value);
    }

    private static HttpResponse<String> refresh(String token) {
        return new ApiClient(SERVER.port()).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + token + "\"}");
    }

    @Test
    void aDisabledUsersTokensStopWorking() {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"leaver\",\"password\":\"leaver-password\",\"role\":\"admin\"}").statusCode());
        ApiClient leaver = new ApiClient(SERVER.port());
        HttpResponse<String> login = leaver.login("leaver", "leaver-password");
        assertEquals(200, statusWithToken(leaver.token()));

        assertEquals(200, admin.send(admin.request("/api/v1/users/leaver").header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"enabled\": false}"))).statusCode());
        assertEquals(401, statusWithToken(leaver.token()));
        assertEquals(401, refresh(ApiClient.field(login.body(), "refresh_token")).statusCode());
        assertEquals(401, new ApiClient(SERVER.port()).login("leaver", "leaver-password").statusCode());
    }

    @Test
    void wrongPasswordsAndUnknownUsersGetTheSameAnswer() {
        HttpResponse<String> wrong = new ApiClient(SERVER.port()).login("admin", "not-the-password");
        HttpResponse<String> unknown = new ApiClient(SERVER.port()).login("nobody", "whatever-password");
        assertEquals(401, wrong.statusCode());
        assertEquals(401, unknown.statusCode());
        // Only the request id (one per call, for following it in the logs) may differ.
        assertEquals(withoutRequestId(wrong.body()), withoutRequestId(unknown.body()));
    }

    private static String withoutRequestId(String problem) {
        return problem.replaceFirst(",\"request_id\":\"[^\"]*\"", "");
    }

    @Test
    void registrationNeedsTheSecretOrAValidEnrolmentToken() {
        ApiClient anon = new ApiClient(SERVER.port());
        assertEquals(401, anon.send(anon.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", "wrong-secret-wrong").POST(HttpRequest.BodyPublishers.ofString("{}"))).statusCode());
        assertEquals(401, anon.postJson("/api/v1/collectors/register", "{}").statusCode());

        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.postJson("/api/v1/collectors", "{\"id\": \"pre-made\"}").statusCode());
        String token = admin.postJson("/api/v1/collectors/pre-made/enrolment-token", "").body()
                .replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");
        HttpResponse<String> enrolled = anon.send(anon.request("/api/v1/collectors/register")
                .header("Content-Type", "application/json").header("X-Enrolment-Token", token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"hostname\": \"db-9\"}")));
        assertEquals(201, enrolled.statusCode(), enrolled.body());
        assertEquals("pre-made", ApiClient.field(enrolled.body(), "collector_id"));
        assertEquals(401, anon.send(anon.request("/api/v1/collectors/register")
                .header("Content-Type", "application/json").header("X-Enrolment-Token", token)
                .POST(HttpRequest.BodyPublishers.ofString("{}"))).statusCode(), "an enrolment token works once");
    }

    @Test
    void tokensExpireAfterTheirLifetime() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        try (PgfleetServer shortLived = PgfleetServer.start(TestServers.settings(db).withAccessTokenTtl(Duration.ofSeconds(10)))) {
            ApiClient c = ApiClient.asAdmin(shortLived.port());
            String token = c.token();
            String exp = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
            long expires = Long.parseLong(exp.replaceAll(".*\"exp\":(\\d+).*", "$1"));
            long issued = Long.parseLong(exp.replaceAll(".*\"iat\":(\\d+).*", "$1"));
            assertEquals(10, expires - issued, "the configured lifetime is what the token carries");
        }
    }
}
