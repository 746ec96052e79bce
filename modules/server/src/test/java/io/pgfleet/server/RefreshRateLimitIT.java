package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session may refresh only so often, counted in the database: a client refreshing back to back
 * (a stolen token, a bug) stores a bounded number of refresh tokens whichever instances its refreshes
 * reach. Past the limit its refreshes are answered {@code 429 refresh-rate-exceeded} with
 * {@code Retry-After}, the token unspent; other sessions, logins and its address go on; a leaked
 * token is still told apart (and its family revoked) while the session is held back.
 */
class RefreshRateLimitIT {

    /** Four a minute (30 by default) keeps the test short. */
    private static final int PER_MINUTE = 4;
    /** Failed refreshes per address (1,000 by default): refused ones would reach it at once if they counted. */
    private static final int TOKEN_FAILURES = 3;

    private static TestDatabase database;
    private static PgfleetServer alpha;
    private static PgfleetServer beta;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        ServerSettings s = TestServers.settings(database);
        LimitSettings l = s.limits();
        ServerSettings limited = s.withLimits(new LimitSettings(l.maxConnections(), l.idleTimeout(),
                l.watchesPerCollector(), l.trustedProxies(), l.hashThreads(), l.hashQueue(), l.loginFreeFailures(),
                l.loginFailuresPerAddress(), TOKEN_FAILURES, l.parseSlots(), l.parseQueue(), l.sampleRate(), PER_MINUTE));
        alpha = PgfleetServer.start(limited);
        beta = PgfleetServer.start(limited);
    }

    @AfterAll
    static void stop() {
        for (PgfleetServer s : new PgfleetServer[] {beta, alpha}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void aSessionRefreshingBackToBackIsHeldBackOnEveryInstanceAndNothingElseIs() throws Exception {
        // The login's token counts: three refreshes, alternating between the instances, reach the limit.
        String token = refreshToken(login(alpha));
        for (int i = 0; i < PER_MINUTE - 1; i++) {
            HttpResponse<String> r = refresh(i % 2 == 0 ? beta : alpha, token);
            assertEquals(200, r.statusCode(), "refresh " + i + ": " + r.body());
            token = refreshToken(r);
        }
        for (int i = 0; i < 3 * TOKEN_FAILURES; i++) {
            HttpResponse<String> refused = refresh(i % 2 == 0 ? alpha : beta, token);
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("\"type\":\"https://pgfleet.io/problems/refresh-rate-exceeded\""),
                    refused.body());
            long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(retryAfter >= 1 && retryAfter <= 60, "until the session's oldest refresh leaves the minute: "
                    + retryAfter);
        }
        assertEquals(PER_MINUTE, count("SELECT count(*) FROM refresh_tokens WHERE family_id = "
                + "(SELECT family_id FROM refresh_tokens WHERE token_hash = encode(sha256(convert_to(?, 'UTF8')), 'hex'))",
                token), "nothing was stored for the refused refreshes");
        assertEquals(0, count("SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL"
                + " AND token_hash = encode(sha256(convert_to(?, 'UTF8')), 'hex')", token), "the token was not spent");

        // Neither the session's address (its failed refreshes, its logins) nor another session is held back.
        HttpResponse<String> other = refresh(beta, refreshToken(login(beta)));
        assertEquals(200, other.statusCode(), other.body());
        assertEquals(200, refresh(alpha, refreshToken(other)).statusCode());
        for (PgfleetServer instance : new PgfleetServer[] {alpha, beta}) {
            String metrics = new ApiClient(instance.port()).get("/observe/metrics").body();
            assertTrue(series(metrics, "pgfleet_http_problems_total{status=\"429\",type=\"refresh-rate-exceeded\"}")
                    >= TOKEN_FAILURES, metrics);
        }

        // A minute later (its refreshes moved a minute back), the same token refreshes.
        moveSessionBack(token);
        HttpResponse<String> later = refresh(beta, token);
        assertEquals(200, later.statusCode(), later.body());
    }

    @Test
    void aTokenPresentedBySecondHolderRevokesTheSessionWhileItIsHeldBack() throws Exception {
        String first = refreshToken(login(alpha));
        String spent = refreshToken(refresh(beta, first));
        String next = refreshToken(refresh(alpha, spent));
        String latest = refreshToken(refresh(beta, next));
        assertEquals(429, refresh(alpha, latest).statusCode(), "the session is at its limit");

        // Within the reuse grace, but the token it was exchanged for was used: two holders.
        assertEquals(401, refresh(beta, spent).statusCode());
        moveSessionBack(latest);
        assertEquals(401, refresh(alpha, latest).statusCode(), "the whole session is revoked");
    }

    private static HttpResponse<String> login(PgfleetServer server) {
        HttpResponse<String> r = new ApiClient(server.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD);
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    private static HttpResponse<String> refresh(PgfleetServer server, String refreshToken) {
        return new ApiClient(server.port()).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    private static String refreshToken(HttpResponse<String> answer) {
        assertEquals(200, answer.statusCode(), answer.body());
        return ApiClient.field(answer.body(), "refresh_token");
    }

    /** What a minute's wait does to the limit: every token of the token's session issued a minute earlier. */
    private static void moveSessionBack(String token) throws Exception {
        try (Connection c = database.connect(); PreparedStatement p = c.prepareStatement(
                "UPDATE refresh_tokens SET issued_at = issued_at - interval '61 seconds' WHERE family_id = (SELECT family_id"
                        + " FROM refresh_tokens WHERE token_hash = encode(sha256(convert_to(?, 'UTF8')), 'hex'))")) {
            p.setString(1, token);
            assertTrue(p.executeUpdate() > 0);
        }
    }

    private static long count(String sql, String token) throws Exception {
        try (Connection c = database.connect(); PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, token);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** A series' value, 0 when the scrape does not have it. */
    private static double series(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.E+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
