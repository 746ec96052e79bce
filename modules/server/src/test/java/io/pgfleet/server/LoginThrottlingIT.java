package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failed logins are throttled per (user, client address) and per address, before any password is
 * hashed; the client address is the socket's, or X-Forwarded-For's only from a trusted proxy. A
 * flood against {@code admin} from one address never locks the real admin out from another.
 * Loopback has many addresses (127.0.0.0/8), so "another address" is a real socket address here.
 */
class LoginThrottlingIT {

    private static final String ADMIN_PASSWORD = ServerSettings.TEST_ADMIN_PASSWORD;
    private static TestDatabase database;
    private static PgfleetServer direct;
    private static PgfleetServer behindProxy;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        // A ceiling of 10 failures per address per minute (30 by default) keeps the test short.
        ServerSettings d = TestServers.settings(database);
        LimitSettings l = d.limits();
        direct = PgfleetServer.start(d.withLimits(new LimitSettings(l.maxConnections(), l.idleTimeout(),
                l.watchesPerCollector(), l.trustedProxies(), l.hashThreads(), l.hashQueue(), l.loginFreeFailures(), 10,
                l.tokenFailuresPerAddress(), l.parseSlots(), l.parseQueue(), l.sampleRate())));
        // The second instance believes X-Forwarded-For from 127.0.0.5 only.
        ServerSettings s = TestServers.settings(database);
        behindProxy = PgfleetServer.start(s.withLimits(s.limits().withTrustedProxies(List.of("127.0.0.5"))));
    }

    @AfterAll
    static void stop() {
        direct.close();
        behindProxy.close();
    }

    @Test
    void repeatedFailuresOfOneUserFromOneAddressAre429WithRetryAfterWhileAnotherAddressLogsIn() throws Exception {
        HttpResponse<String> throttled = failUntilThrottled(direct, "127.0.0.2", "admin", null);
        assertEquals("application/problem+json", throttled.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        long retryAfter = Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
        assertEquals(200, login(direct, "127.0.0.3", "admin", ADMIN_PASSWORD, null).statusCode(),
                "the real admin logs in from another address");
        assertTrue(auditRows("auth.login_failed", "127.0.0.2", "admin") >= 5,
                "every checked failure is in the audit trail");
    }

    @Test
    void forwardedForIsIgnoredFromAnUntrustedPeer() throws Exception {
        // Every try claims another address: were the header believed, no address would reach the ceiling (10 here).
        int status = 0;
        int tries = 0;
        while (tries < 20 && status != 429) {
            status = login(direct, "127.0.0.4", "someone" + tries, "wrong password!", "10.0.1." + tries).statusCode();
            tries++;
        }
        assertEquals(429, status, "counted under the socket address");
        assertEquals(11, tries);
        assertEquals(429, login(direct, "127.0.0.4", "admin", ADMIN_PASSWORD, "10.9.9.9").statusCode(),
                "a client cannot pick another address with X-Forwarded-For");
        assertEquals(0, auditRows("auth.login_failed", "10.0.1.0", "someone0"));
        assertEquals(1, auditRows("auth.login_failed", "127.0.0.4", "someone0"));
    }

    @Test
    void forwardedForIsHonouredFromATrustedProxy() throws Exception {
        failUntilThrottled(behindProxy, "127.0.0.5", "admin", "10.0.0.7");
        assertTrue(auditRows("auth.login_failed", "10.0.0.7", "admin") >= 5, "failures recorded under the client address");
        assertEquals(200, login(behindProxy, "127.0.0.5", "admin", ADMIN_PASSWORD, "10.0.0.8").statusCode(),
                "another client behind the same proxy logs in");
    }

    @Test
    void aLoginFromWhereTheUserLoggedInBeforeGetsThroughAFloodFromManyAddresses() throws Exception {
        assertEquals(200, login(behindProxy, "127.0.0.5", "admin", ADMIN_PASSWORD, "10.0.0.9").statusCode());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch refused = new java.util.concurrent.CountDownLatch(20);
        int threads = 24;
        java.util.concurrent.ExecutorService flood = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            // Every attempt from an address of its own, as a botnet sends them: no throttle stops it, so it
            // keeps the shared hashing slots full and strangers are refused.
            for (int t = 0; t < threads; t++) {
                int thread = t;
                flood.submit(() -> {
                    for (int k = 0; !stop.get(); k++) {
                        if (login(behindProxy, "127.0.0.5", "admin", "not the password",
                                "10.50." + thread + "." + (k % 250)).statusCode() == 429) {
                            refused.countDown();
                        }
                    }
                    return null;
                });
            }
            assertTrue(refused.await(60, java.util.concurrent.TimeUnit.SECONDS),
                    "the flood fills the shared hashing slots: strangers are refused");
            HttpResponse<String> known = login(behindProxy, "127.0.0.5", "admin", ADMIN_PASSWORD, "10.0.0.9");
            assertEquals(200, known.statusCode(), "the admin, from where they logged in before, gets through: " + known.body());
        } finally {
            stop.set(true);
            flood.shutdown();
            assertTrue(flood.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @Test
    void manyUsersFromOneAddressHitThePerAddressCeiling() throws Exception {
        // Each try names another user, so only the per-address ceiling (10 here) applies.
        int status = 0;
        int tries = 0;
        while (tries < 20 && status != 429) {
            status = login(direct, "127.0.0.6", "nobody" + tries, "wrong password!", null).statusCode();
            tries++;
        }
        assertEquals(429, status);
        assertEquals(11, tries, "10 failures allowed, the 11th refused unchecked");
        assertEquals(429, login(direct, "127.0.0.6", "admin", ADMIN_PASSWORD, null).statusCode(),
                "until the minute ends, even the right password is not checked from that address");
        assertEquals(200, login(direct, "127.0.0.7", "admin", ADMIN_PASSWORD, null).statusCode());
    }

    @Test
    void aFloodOfThrottledLoginsIsSaidInTheLogAtMostOnceAMinuteNotOnceEachBesideTheRequestLog() throws Exception {
        // A flood of wrong passwords (40,000 attempts in 45 s in a field test) wrote one line for each
        // throttled attempt besides the request log's line for its 429: the log grew at the flood's rate
        // with a line that told nothing the request log did not.
        java.util.Queue<String> lines = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.pgfleet.adapter.in.http.AuthHttpService");
        java.util.logging.Handler capture = new CapturingHandler(lines);
        logger.addHandler(capture);
        int throttled = 0;
        try {
            // Past the address's ceiling (10 failures a minute here) every attempt is refused unchecked
            // until the minute ends.
            for (int i = 0; i < 40; i++) {
                if (login(direct, "127.0.0.8", "flood" + i, "not the password", null).statusCode() == 429) {
                    throttled++;
                }
            }
        } finally {
            logger.removeHandler(capture);
        }
        assertTrue(throttled >= 20, throttled + " attempts throttled");
        List<String> said = lines.stream().filter(l -> l.startsWith("token request throttled")).toList();
        assertTrue(said.size() <= 1, throttled + " attempts throttled, " + said.size() + " lines: " + said);
    }

    @Test
    void reusedRefreshTokensAndRefusedRegistrationsAreAudited() throws Exception {
        ApiClient client = new ApiClient(direct.port());
        String refresh = ApiClient.field(client.login("admin", ADMIN_PASSWORD).body(), "refresh_token");
        assertEquals(200, client.postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refresh + "\"}").statusCode());
        // Spent long enough ago that no grace period for a lost answer applies.
        try (Connection c = database.connect(); PreparedStatement s = c.prepareStatement(
                "UPDATE refresh_tokens SET used_at = used_at - interval '10 minutes' WHERE token_hash = ?")) {
            s.setString(1, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(refresh.getBytes(StandardCharsets.UTF_8))));
            assertEquals(1, s.executeUpdate());
        }
        assertEquals(401, client.postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refresh + "\"}").statusCode());
        assertEquals(1, auditRows("auth.refresh_reused", "127.0.0.1", ""));

        HttpResponse<String> refused = client.send(client.request("/api/v1/collectors/register")
                .header("Content-Type", "application/json").header("X-Registration-Secret", "not-the-secret-at-all")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\",\"hostname\":\"h\"}")));
        assertEquals(401, refused.statusCode());
        assertEquals(1, auditRows("collector.register_refused", "127.0.0.1", ""));
    }

    private static HttpResponse<String> failUntilThrottled(PgfleetServer server, String from, String user,
                                                           String forwardedFor) throws Exception {
        // Free failures first, then delays that double; whatever the machine's speed, a 429 comes within a few tries.
        for (int i = 0; i < 12; i++) {
            HttpResponse<String> r = login(server, from, user, "not the password", forwardedFor);
            if (r.statusCode() == 429) {
                assertTrue(i >= 5, "5 failures are free, throttled after " + i);
                return r;
            }
            assertEquals(401, r.statusCode(), r.body());
        }
        throw new AssertionError("never throttled");
    }

    private static HttpResponse<String> login(PgfleetServer server, String from, String user, String password,
                                              String forwardedFor) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().localAddress(InetAddress.getByName(from))
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/auth/login"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}"));
        if (forwardedFor != null) {
            r.header("X-Forwarded-For", forwardedFor);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long auditRows(String action, String address, String username) throws SQLException {
        try (Connection c = database.connect(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM audit_log WHERE action = ? AND address = ? AND username = ?")) {
            s.setString(1, action);
            s.setString(2, address);
            s.setString(3, username);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
