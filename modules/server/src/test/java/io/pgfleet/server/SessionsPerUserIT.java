package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user holds a bounded number of open sessions, counted in the database: a login past the limit
 * ends the user's oldest session, as a logout would (its refresh token refused, its access tokens
 * and watches ended on every instance), and succeeds; the user's other sessions go on. A script
 * logging in in a loop keeps the limit's worth of sessions, never more, even with its logins in
 * parallel on two instances.
 */
class SessionsPerUserIT {

    /** Three (100 by default) keeps the test short. */
    private static final int SESSIONS = 3;
    /** Logins of one user at once, half on each instance. */
    private static final int PARALLEL_LOGINS = 8 * SESSIONS;
    /** The hold of the watches under test: far longer than they may take to be ended. */
    private static final int LONG_HOLD_SECONDS = 60;
    /** Well below {@link #LONG_HOLD_SECONDS}: a watch answered within it was ended, not timed out. */
    private static final int PROMPTLY_SECONDS = 20;
    private static final Pattern HELD = Pattern.compile("(?m)^pgfleet_watches_held(?:\\{[^}]*})? ([0-9.E]+)$");

    private static TestDatabase database;
    private static PgfleetServer alpha;
    private static PgfleetServer beta;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** A login's answer. */
    private record Session(String access, String refresh) {
        static Session of(HttpResponse<String> answer) {
            assertEquals(200, answer.statusCode(), answer.body());
            return new Session(ApiClient.field(answer.body(), "access_token"),
                    ApiClient.field(answer.body(), "refresh_token"));
        }
    }

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        ServerSettings limited = limitedTo(SESSIONS);
        alpha = PgfleetServer.start(limited);
        beta = PgfleetServer.start(limited);
    }

    /** The test database's settings with this many sessions per user. */
    private static ServerSettings limitedTo(int sessionsPerUser) {
        ServerSettings s = TestServers.settings(database);
        LimitSettings l = s.limits();
        // As many password checks at once as there are parallel logins: their transactions overlap.
        return s.withLimits(new LimitSettings(l.maxConnections(), l.idleTimeout(),
                l.watchesPerCollector(), l.trustedProxies(), PARALLEL_LOGINS, PARALLEL_LOGINS, l.loginFreeFailures(),
                l.loginFailuresPerAddress(), l.tokenFailuresPerAddress(), l.parseSlots(), l.parseQueue(), l.sampleRate(),
                l.refreshesPerSession(), sessionsPerUser));
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
    void aLoginPastTheLimitEndsTheUsersOldestSessionOnEveryInstanceAndNoOther() throws Exception {
        ApiClient admin = ApiClient.asAdmin(alpha.port());
        newUser(admin, "many-sessions");
        assertEquals(201, admin.createCollector("watched-in-many-sessions").statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/watched-in-many-sessions", aDocument().pushInterval(1).toml())
                .statusCode());
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            sessions.add(login(i % 2 == 0 ? alpha : beta, "many-sessions"));
        }
        Session oldest = sessions.get(0);
        Session second = sessions.get(1);
        // The oldest session watches on the instance that will not take the login that ends it.
        CompletableFuture<HttpResponse<String>> oldestWatch = watch(beta, oldest.access(), "watched-in-many-sessions");
        CompletableFuture<HttpResponse<String>> secondWatch = watch(alpha, second.access(), "watched-in-many-sessions");
        awaitHeldWatches(beta, 1);
        awaitHeldWatches(alpha, 1);

        double endedBefore = series(new ApiClient(alpha.port()).get("/observe/metrics").body(),
                "pgfleet_sessions_ended_for_limit_total");
        Session newest = login(alpha, "many-sessions");

        HttpResponse<String> ended = oldestWatch.get(PROMPTLY_SECONDS, TimeUnit.SECONDS);
        assertEquals(401, ended.statusCode(), ended.body());
        assertFalse(ended.body().contains("push_interval"), ended.body());
        assertFalse(secondWatch.isDone(), "the next session's watch is still held");
        for (PgfleetServer instance : new PgfleetServer[] {alpha, beta}) {
            assertEquals(401, fleetWith(instance, oldest.access()), "the oldest session's access token has ended");
            assertEquals(200, fleetWith(instance, second.access()));
            assertEquals(200, fleetWith(instance, newest.access()));
        }
        assertEquals(401, refresh(beta, oldest.refresh()).statusCode(), "and its refresh token");
        for (Session goingOn : List.of(sessions.get(1), sessions.get(2), newest)) {
            assertEquals(200, refresh(beta, goingOn.refresh()).statusCode(), "the other sessions go on");
        }
        assertEquals(SESSIONS, openSessions("many-sessions"));
        assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'auth.session_limit' AND username = ?"
                + " AND actor = ? AND detail LIKE '%sessions_per_user%'", "many-sessions"), "the end is audited");
        String metrics = new ApiClient(alpha.port()).get("/observe/metrics").body();
        assertEquals(endedBefore + 1, series(metrics, "pgfleet_sessions_ended_for_limit_total"), metrics);

        // One login more ends the next oldest, whose watch ends then: each login ends one session.
        login(beta, "many-sessions");
        HttpResponse<String> next = secondWatch.get(PROMPTLY_SECONDS, TimeUnit.SECONDS);
        assertEquals(401, next.statusCode(), next.body());
        assertEquals(SESSIONS, openSessions("many-sessions"));
        // Another user's sessions are not counted with them.
        assertEquals(200, fleetWith(alpha, admin.token()));
    }

    /**
     * Lowering {@code sessions_per_user} (an instance restarted with the lower value) leaves users
     * holding more: their next login ends every session beyond the new limit, each audited, and says
     * so in one log line, not one per session (up to 10,000 when the limit goes from its highest to 1).
     */
    @Test
    void aLoginUnderALoweredLimitEndsEverySessionBeyondItWithOneLogLine() throws Exception {
        ApiClient admin = ApiClient.asAdmin(alpha.port());
        newUser(admin, "lowered-limit");
        List<Session> before = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            before.add(login(alpha, "lowered-limit"));
        }
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger auth = java.util.logging.Logger.getLogger("io.pgfleet.adapter.in.http.AuthHttpService");
        CapturingHandler capture = new CapturingHandler(logged);
        auth.addHandler(capture);
        try (PgfleetServer lowered = PgfleetServer.start(limitedTo(1))) {
            Session only = login(lowered, "lowered-limit");

            assertEquals(1, openSessions("lowered-limit"));
            for (Session ended : before) {
                assertEquals(401, fleetWith(alpha, ended.access()), "every older session has ended");
            }
            assertEquals(200, fleetWith(alpha, only.access()));
            assertEquals(SESSIONS, count("SELECT count(*) FROM audit_log WHERE action = 'auth.session_limit'"
                    + " AND username = ?", "lowered-limit"), "each end is audited");
            List<String> lines = logged.stream().filter(m -> m.contains("of lowered-limit ended")).toList();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.getFirst().startsWith(SESSIONS + " sessions of lowered-limit ended"), lines.getFirst());
        } finally {
            auth.removeHandler(capture);
        }
    }

    @Test
    void parallelLoginsOnTwoInstancesNeverLeaveMoreThanTheLimitOpen() throws Exception {
        ApiClient admin = ApiClient.asAdmin(alpha.port());
        newUser(admin, "logging-in-in-a-loop");
        int logins = PARALLEL_LOGINS;
        ExecutorService pool = Executors.newFixedThreadPool(logins);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (int i = 0; i < logins; i++) {
                PgfleetServer instance = i % 2 == 0 ? alpha : beta;
                answers.add(pool.submit(() -> {
                    go.await();
                    return new ApiClient(instance.port()).login("logging-in-in-a-loop", "a-long-password");
                }));
            }
            go.countDown();
            List<Session> sessions = new ArrayList<>();
            for (Future<HttpResponse<String>> answer : answers) {
                sessions.add(Session.of(answer.get(60, TimeUnit.SECONDS)));
            }
            assertEquals(SESSIONS, openSessions("logging-in-in-a-loop"), "every login succeeded, the oldest ended");
            int refreshed = 0;
            for (int i = 0; i < sessions.size(); i++) {
                int status = refresh(i % 2 == 0 ? beta : alpha, sessions.get(i).refresh()).statusCode();
                assertTrue(status == 200 || status == 401, "status " + status);
                refreshed += status == 200 ? 1 : 0;
            }
            assertEquals(SESSIONS, refreshed, "only the sessions still open refresh");
            assertEquals(logins - SESSIONS, count("SELECT count(*) FROM audit_log WHERE action = 'auth.session_limit'"
                    + " AND username = ? AND actor = ?", "logging-in-in-a-loop"), "each ended session is audited once");
        } finally {
            pool.shutdownNow();
        }
    }

    private static void newUser(ApiClient admin, String name) {
        HttpResponse<String> created = admin.postJson("/api/v1/users", "{\"username\":\"" + name
                + "\",\"password\":\"a-long-password\",\"role\":\"viewer\"}");
        assertEquals(201, created.statusCode(), created.body());
    }

    private static Session login(PgfleetServer server, String user) {
        return Session.of(new ApiClient(server.port()).login(user, "a-long-password"));
    }

    private static HttpResponse<String> refresh(PgfleetServer server, String refreshToken) {
        return new ApiClient(server.port()).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    private static int fleetWith(PgfleetServer server, String accessToken) {
        ApiClient c = new ApiClient(server.port());
        c.useToken(accessToken);
        return c.get("/api/v1/collectors?limit=1").statusCode();
    }

    private CompletableFuture<HttpResponse<String>> watch(PgfleetServer server, String token, String id) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/config/"
                        + id + "?wait=" + LONG_HOLD_SECONDS + "&after=1")).header("Authorization", "Bearer " + token)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the server holds this many watches. */
    private static void awaitHeldWatches(PgfleetServer server, int expected) throws InterruptedException {
        ApiClient anonymous = new ApiClient(server.port());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double held = -1;
        while (System.nanoTime() < deadline) {
            Matcher m = HELD.matcher(anonymous.get("/observe/metrics").body());
            held = m.find() ? Double.parseDouble(m.group(1)) : -1;
            if (held == expected) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("watches held: " + held + ", expected " + expected);
    }

    /** The user's sessions with a token neither spent, revoked nor expired, as the database has them. */
    private static long openSessions(String user) throws Exception {
        return count("SELECT count(DISTINCT family_id) FROM refresh_tokens WHERE subject_kind = 'user' AND subject = ?"
                + " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()", user);
    }

    /** A count; every {@code ?} of the query is the same value. */
    private static long count(String sql, String value) throws Exception {
        try (Connection c = database.connect(); PreparedStatement p = c.prepareStatement(sql)) {
            for (int i = 1; i <= p.getParameterMetaData().getParameterCount(); i++) {
                p.setString(i, value);
            }
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
