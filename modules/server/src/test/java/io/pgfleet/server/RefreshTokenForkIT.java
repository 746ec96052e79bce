package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A refresh token presented twice within the reuse grace: a lost answer's retry gets a working
 * session, but two holders (an owner and a thief) never both keep one; the family is revoked, at
 * the latest at the next refresh of the side the retry replaced, and the reuse is audited.
 */
class RefreshTokenForkIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    @Test
    void aRetryAfterALostAnswerGetsASessionThatKeepsWorking() {
        String first = login();
        HttpResponse<String> lost = refresh(SERVER.port(), first);
        assertEquals(200, lost.statusCode(), lost.body());
        // That answer never reached the client: it asks again with the same token, twice even.
        HttpResponse<String> retry = refresh(SERVER.port(), first);
        assertEquals(200, retry.statusCode(), "a retry within the grace is answered: " + retry.body());
        HttpResponse<String> again = refresh(SERVER.port(), first);
        assertEquals(200, again.statusCode(), "and so is another: " + again.body());

        assertEquals(200, usersWith(ApiClient.field(again.body(), "access_token")));
        String next = ApiClient.field(again.body(), "refresh_token");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> later = refresh(SERVER.port(), next);
            assertEquals(200, later.statusCode(), "the session goes on: " + later.body());
            assertEquals(200, usersWith(ApiClient.field(later.body(), "access_token")));
            next = ApiClient.field(later.body(), "refresh_token");
        }
        assertEquals(0L, reuseAudits(family(first)), "a lost answer is no reuse");
    }

    @Test
    void theOwnerRefreshesFirstAndAThiefWithinTheGrace() {
        String r1 = login();
        String r2 = token(refresh(SERVER.port(), r1));           // the owner
        HttpResponse<String> stolen = refresh(SERVER.port(), r1); // a thief, within the grace
        assertEquals(200, stolen.statusCode(), "as yet indistinguishable from a lost answer: " + stolen.body());
        String r3 = token(stolen);
        assertNotEquals(r2, r3);

        HttpResponse<String> owner = refresh(SERVER.port(), r2);
        assertEquals(401, owner.statusCode(), "the owner's next refresh reveals the second holder: " + owner.body());
        assertEquals(401, refresh(SERVER.port(), r3).statusCode(), "and the thief's branch is revoked with the family");
        assertEquals(1L, reuseAudits(family(r1)));
    }

    @Test
    void theThiefRefreshesOnFirstAndIsCutOffByTheOwnersNextRefresh() {
        String r1 = login();
        String r2 = token(refresh(SERVER.port(), r1));
        String r3 = token(refresh(SERVER.port(), r1));
        String r5 = token(refresh(SERVER.port(), r3)); // the thief goes on before the owner's next refresh

        assertEquals(401, refresh(SERVER.port(), r2).statusCode(), "the owner's refresh revokes the family");
        assertEquals(401, refresh(SERVER.port(), r5).statusCode(), "the thief's chain included");
        assertEquals(1L, reuseAudits(family(r1)));
    }

    @Test
    void aThiefFirstLosesTheFamilyWhenTheOwnerRetriesAndRefreshes() {
        String r1 = login();
        String r2 = token(refresh(SERVER.port(), r1)); // the thief
        String r3 = token(refresh(SERVER.port(), r1)); // the owner, within the grace
        assertEquals(401, refresh(SERVER.port(), r2).statusCode(), "the thief's next refresh revokes the family");
        assertEquals(401, refresh(SERVER.port(), r3).statusCode());
        assertEquals(1L, reuseAudits(family(r1)));
    }

    @Test
    void aSpentTokenWhoseSuccessorWasAlreadyUsedRevokesTheFamilyEvenWithinTheGrace() {
        String r1 = login();
        String r2 = token(refresh(SERVER.port(), r1));
        String r4 = token(refresh(SERVER.port(), r2)); // its holder received r2: no answer was lost
        HttpResponse<String> other = refresh(SERVER.port(), r1);
        assertEquals(401, other.statusCode(), "r1 has two holders: " + other.body());
        assertEquals(401, refresh(SERVER.port(), r4).statusCode(), "the family is revoked");
        assertEquals(1L, reuseAudits(family(r1)));
    }

    @Test
    void twoInstancesOnOneDatabaseLetNoForkLiveOn() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings settings = TestServers.settings(db);
        try (PgfleetServer a = PgfleetServer.start(settings); PgfleetServer b = PgfleetServer.start(settings)) {
            for (int round = 0; round < 5; round++) {
                String r1 = token(new ApiClient(a.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD));
                // The owner on one instance and a thief on the other, at the same moment.
                CompletableFuture<HttpResponse<String>> onA = CompletableFuture.supplyAsync(() -> refresh(a.port(), r1));
                CompletableFuture<HttpResponse<String>> onB = CompletableFuture.supplyAsync(() -> refresh(b.port(), r1));
                List<HttpResponse<String>> answers = List.of(onA.join(), onB.join());
                for (HttpResponse<String> answer : answers) {
                    assertEquals(200, answer.statusCode(), "one first use and one retry: " + answer.body());
                }
                // Each goes on with what it received, through the other instance.
                HttpResponse<String> first = refresh(b.port(), token(answers.get(0)));
                HttpResponse<String> second = refresh(a.port(), token(answers.get(1)));
                assertTrue(first.statusCode() == 401 || second.statusCode() == 401,
                        "one of the two holds a replaced token: " + first.statusCode() + " " + second.statusCode());
                for (HttpResponse<String> next : List.of(first, second)) {
                    if (next.statusCode() == 200) {
                        assertEquals(401, refresh(a.port(), token(next)).statusCode(), "the surviving branch is revoked");
                    }
                }
                assertEquals(1L, reuseAudits(db, family(db, r1)));
            }
        }
    }

    private static String login() {
        return token(new ApiClient(SERVER.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD));
    }

    private static String token(HttpResponse<String> answer) {
        assertEquals(200, answer.statusCode(), answer.body());
        return ApiClient.field(answer.body(), "refresh_token");
    }

    private static HttpResponse<String> refresh(int port, String token) {
        return new ApiClient(port).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + token + "\"}");
    }

    private static int usersWith(String accessToken) {
        ApiClient c = new ApiClient(SERVER.port());
        c.useToken(accessToken);
        return c.get("/api/v1/users").statusCode();
    }

    private static String family(String refreshToken) {
        return family(SERVER.database(), refreshToken);
    }

    private static String family(TestDatabase db, String refreshToken) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT family_id FROM refresh_tokens WHERE token_hash = encode(sha256(convert_to(?, 'UTF8')), 'hex')")) {
            ps.setString(1, refreshToken);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "the token is stored");
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long reuseAudits(String family) {
        return reuseAudits(SERVER.database(), family);
    }

    private static long reuseAudits(TestDatabase db, String family) {
        try {
            return db.count("SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_reused'"
                    + " AND detail LIKE '%' || ? || '%'", family);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
