package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Instances whose host clocks are ten minutes off the database's (a VM resumed with a stale clock, a
 * lost time source), beside one on time, all on one database: each issues and checks access tokens
 * on the database's time, so a token issued by any of them works on all of them (the instance behind
 * would otherwise find it issued in its future), and a token that has expired is refused by all of
 * them (the instance behind would otherwise take it for valid). {@link DatabaseClockBehindIT} has
 * the database's clock off instead.
 */
class InstanceClockSkewIT {

    private static final Duration SKEW = Duration.ofMinutes(10);

    private static TestDatabase database;
    private static PgfleetServer onTime;
    /** Ten minutes behind: a token issued now looks ten minutes early to its host clock. */
    private static PgfleetServer late;
    /** Ten minutes ahead: a token issued now looks ten minutes old to its host clock. */
    private static PgfleetServer early;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        onTime = PgfleetServer.start(TestServers.settings(database));
        late = PgfleetServer.start(TestServers.settings(database), Clock.offset(Clock.systemUTC(), SKEW.negated()));
        early = PgfleetServer.start(TestServers.settings(database), Clock.offset(Clock.systemUTC(), SKEW));
    }

    @AfterAll
    static void stop() {
        for (PgfleetServer s : new PgfleetServer[] {early, late, onTime}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void tokensIssuedByOneInstanceWorkOnTheOthersWhateverTheirClocks() {
        PgfleetServer[] all = {onTime, late, early};
        for (PgfleetServer issuer : all) {
            HttpResponse<String> login = new ApiClient(issuer.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD);
            assertEquals(200, login.statusCode(), login.body());
            String access = ApiClient.field(login.body(), "access_token");
            String refresh = ApiClient.field(login.body(), "refresh_token");
            for (PgfleetServer verifier : all) {
                ApiClient client = new ApiClient(verifier.port());
                client.useToken(access);
                HttpResponse<String> r = client.get("/api/v1/collectors?limit=1");
                assertEquals(200, r.statusCode(), "a token of " + name(issuer) + " on " + name(verifier) + ": " + r.body());
            }
            // A refresh on the instance behind, of a session begun on another: its expiry, its reuse grace
            // and the rate of the session are all judged on the database's time.
            HttpResponse<String> refreshed = new ApiClient(late.port()).postJson("/api/v1/auth/refresh",
                    "{\"refresh_token\":\"" + refresh + "\"}");
            assertEquals(200, refreshed.statusCode(), "a refresh token of " + name(issuer) + ": " + refreshed.body());
        }
    }

    @Test
    void aTokenThatHasExpiredIsRefusedByEveryInstance() throws Exception {
        // Five minutes past its expiry by the database's clock: still five minutes short of it by the
        // clock of the host behind.
        String expired = TestTokens.withServerKey(database).expiredAgo(300).signed();
        for (PgfleetServer verifier : new PgfleetServer[] {onTime, late, early}) {
            ApiClient client = new ApiClient(verifier.port());
            client.useToken(expired);
            HttpResponse<String> r = client.get("/api/v1/collectors?limit=1");
            assertEquals(401, r.statusCode(), "an expired token on " + name(verifier) + ": " + r.body());
        }
    }

    private static String name(PgfleetServer server) {
        return server == onTime ? "the instance on time" : server == late ? "the instance behind" : "the instance ahead";
    }
}
