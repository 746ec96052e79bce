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

        assertEquals(401, refresh(first).statusCode(), "a rotated refresh token is spent");
        assertEquals(401, refresh(second).statusCode(), "reuse revoked the whole family");

        HttpResponse<String> otherLogin = new ApiClient(SERVER.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD);
        assertEquals(200, refresh(ApiClient.field(otherLogin.body(), "refresh_token")).statusCode(),
                "another login's family is untouched");
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
        assertEquals(wrong.body(), unknown.body());
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
