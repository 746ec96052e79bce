package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A session that ends ends whole: its refresh tokens and the access tokens issued in it stop
 * working at once — after a logout, a reused refresh token, a changed password — while the same
 * subject's other sessions go on; across instances too.
 */
class SessionEndIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    /** A login's answer: the pair. */
    private record Session(String access, String refresh) {
        static Session of(HttpResponse<String> answer) {
            assertEquals(200, answer.statusCode(), answer.body());
            return new Session(ApiClient.field(answer.body(), "access_token"), ApiClient.field(answer.body(),
                    "refresh_token"));
        }
    }

    @Test
    void logoutEndsTheSessionsRefreshAndAccessTokensAndNoOtherSession() {
        Session one = Session.of(new ApiClient(SERVER.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD));
        Session two = Session.of(new ApiClient(SERVER.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD));
        assertEquals(200, usersWith(SERVER.port(), one.access()));

        HttpResponse<String> out = logout(SERVER.port(), one.refresh());
        assertEquals(204, out.statusCode(), out.body());
        assertEquals("no-store", out.headers().firstValue("Cache-Control").orElse(""));

        assertEquals(401, usersWith(SERVER.port(), one.access()), "its access token ended with it");
        assertEquals(401, refresh(SERVER.port(), one.refresh()).statusCode(), "and its refresh token");
        assertEquals(200, usersWith(SERVER.port(), two.access()), "another session of the same user goes on");
        Session next = Session.of(refresh(SERVER.port(), two.refresh()));
        assertEquals(200, usersWith(SERVER.port(), next.access()));

        // Again, or with a token nobody holds: the same answer, nothing else changes.
        assertEquals(204, logout(SERVER.port(), one.refresh()).statusCode());
        assertEquals(204, logout(SERVER.port(), "x".repeat(43)).statusCode());
        assertEquals(200, usersWith(SERVER.port(), next.access()));
        // Malformed: 400, as for a refresh.
        assertEquals(400, new ApiClient(SERVER.port()).postJson("/api/v1/auth/logout", "{}").statusCode());
        assertEquals(400, new ApiClient(SERVER.port()).postJson("/api/v1/auth/logout",
                "{\"refresh_token\":\"" + next.refresh() + "\",\"all\":true}").statusCode());
        assertEquals(200, usersWith(SERVER.port(), next.access()), "a refused logout ended nothing");
    }

    @Test
    void aRefreshTokenPresentedByASecondHolderEndsTheAccessTokensOfItsFamily() {
        ApiClient agent = new ApiClient(SERVER.port());
        HttpResponse<String> answer = agent.send(agent.request("/api/v1/collectors/register")
                .header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"session-end-2\"}")));
        assertEquals(201, answer.statusCode(), answer.body());
        String id = ApiClient.field(answer.body(), "collector_id");
        String first = ApiClient.field(answer.body(), "refresh_token");

        Session owner = Session.of(refresh(SERVER.port(), first));
        Session later = Session.of(refresh(SERVER.port(), owner.refresh()));
        assertNotEquals(401, configWith(later.access(), id).statusCode());
        // The first token again, though the one it was exchanged for was used: two holders.
        assertEquals(401, refresh(SERVER.port(), first).statusCode());

        assertEquals(401, configWith(later.access(), id).statusCode(),
                "the family is revoked, and the access tokens issued in it end with it");
        assertEquals(401, configWith(owner.access(), id).statusCode());
    }

    @Test
    void aChangedPasswordEndsTheAccessTokensOfTheUsersSessionsAtOnce() {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"carol\",\"password\":\"carol-password-1\",\"role\":\"viewer\"}").statusCode());
        Session carol = Session.of(new ApiClient(SERVER.port()).login("carol", "carol-password-1"));
        assertEquals(200, fleetWith(carol.access()));

        HttpResponse<String> changed = admin.send(admin.request("/api/v1/users/carol")
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"password\":\"carol-password-2\"}")));
        assertEquals(200, changed.statusCode(), changed.body());

        assertEquals(401, fleetWith(carol.access()), "the session logged in with the old password ended");
        Session fresh = Session.of(new ApiClient(SERVER.port()).login("carol", "carol-password-2"));
        assertEquals(200, fleetWith(fresh.access()));
    }

    @Test
    void aLogoutOnOneInstanceEndsTheAccessTokenOnAnother() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings settings = TestServers.settings(db);
        try (PgfleetServer a = PgfleetServer.start(settings); PgfleetServer b = PgfleetServer.start(settings)) {
            Session s = Session.of(new ApiClient(a.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD));
            assertEquals(200, usersWith(b.port(), s.access()), "B knows the session is going on");

            assertEquals(204, logout(a.port(), s.refresh()).statusCode());

            // B learns it from A's announcement (or, were it lost, within its two-second memory).
            Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
            while (usersWith(b.port(), s.access()) != 401) {
                if (Instant.now().isAfter(deadline)) {
                    fail("B still accepts the access token of a session that ended on A");
                }
                Thread.onSpinWait();
            }
        }
    }

    private static HttpResponse<String> logout(int port, String refreshToken) {
        return new ApiClient(port).postJson("/api/v1/auth/logout", "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    private static HttpResponse<String> refresh(int port, String refreshToken) {
        return new ApiClient(port).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    private static int usersWith(int port, String accessToken) {
        ApiClient c = new ApiClient(port);
        c.useToken(accessToken);
        return c.get("/api/v1/users").statusCode();
    }

    private static int fleetWith(String accessToken) {
        ApiClient c = new ApiClient(SERVER.port());
        c.useToken(accessToken);
        return c.get("/api/v1/collectors?limit=1").statusCode();
    }

    private static HttpResponse<String> configWith(String accessToken, String id) {
        ApiClient c = new ApiClient(SERVER.port());
        c.useToken(accessToken);
        return c.get("/api/v1/config/" + id);
    }
}
