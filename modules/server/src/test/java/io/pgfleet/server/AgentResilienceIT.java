package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent through a server outage, an expiring token and a revocation.
 *
 * <p>Most of these tests wait: out a 30 s outage, past token lifetimes, through observation
 * windows. Each has its own database, server, port, directories and agent process, so they wait
 * side by side (src/test/resources/junit-platform.properties bounds how many at once). Each test,
 * not the class, says so: the class as a whole still runs alone, after the one before it, as every
 * other class does.
 */
class AgentResilienceIT {

    private static final Duration SOON = Duration.ofSeconds(45);
    /** How often the agent sums up repeated failed pulls and pushes in its log. */
    private static final Duration SUMMARY_EVERY = Duration.ofSeconds(60);
    /**
     * How soon SIGHUP takes effect: well below the 25 s (plus up to a tenth) the server holds the
     * agent's watch, so that waiting for the watch to end instead fails.
     */
    private static final Duration HANG_UP_ACTS = Duration.ofSeconds(10);
    /** The shortest access tokens a server issues. */
    private static final Duration TOKEN_TTL = Duration.ofSeconds(10);
    /**
     * The clock skew the token tests' server allows: an expired token is refused 2 s after its
     * expiry instead of the default 30 s, so those tests wait for the refresh that long less.
     */
    private static final Duration TOKEN_SKEW = Duration.ofSeconds(2);

    @TempDir
    Path dir;
    private TestDatabase db;
    private ServerSettings settings;
    private PgfleetServer server;

    @BeforeEach
    void database() throws Exception {
        db = TestPostgres.newDatabase();
        settings = TestServers.onFreePort(db, dir.resolve("server"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The server's settings with the shortest tokens, refused soon after they expire. */
    private ServerSettings shortLivedTokens() {
        return settings.withAccessTokenTtl(TOKEN_TTL).withSecurity(settings.security().withAccessTokenClockSkew(TOKEN_SKEW));
    }

    private String startAgentWithConfig(AgentProcess agent, ApiClient admin) throws Exception {
        return startAgentWithConfig(agent, () -> admin);
    }

    /**
     * With the administrator logged in only once the agent has registered: on a server whose tokens
     * are refused 12 s after they are issued, an agent starting slowly would outlive a token taken before.
     */
    private String startAgentWithConfig(AgentProcess agent, java.util.concurrent.Callable<ApiClient> loggedIn) throws Exception {
        int line = agent.await("registered as collector ", SOON);
        String id = agent.output().lines().skip(line).findFirst().orElseThrow().replaceAll(".*registered as collector ", "").trim();
        ApiClient admin = loggedIn.call();
        assertEquals(201, admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(false, 60).sysstatEvery(1).toml()).statusCode());
        agent.await("applied configuration version 1 ", SOON);
        return id;
    }

    private List<Instant> times(String id, Instant from, Instant to) throws Exception {
        List<Instant> out = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT ts FROM samples WHERE collector_id = ? AND name = 'node_load1' AND ts >= ? AND ts < ? ORDER BY ts")) {
            ps.setString(1, id);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getTimestamp(1).toInstant());
                }
            }
        }
        return out;
    }

    private int duplicates(String id) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) - count(DISTINCT (name, labels::text, ts)) FROM samples WHERE collector_id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void everySampleOfAThirtySecondOutageIsStoredExactlyOnce() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            String id = startAgentWithConfig(agent, admin);
            await(() -> times(id, Instant.EPOCH, Instant.now()).size() >= 3);

            Instant down = Instant.now();
            server.close();
            server = null;
            Thread.sleep(30_000); // the outage itself: the scenario is "the server is away for 30 s"
            Instant up = Instant.now();
            server = PgfleetServer.start(settings);

            Instant windowStart = down.plusSeconds(1);
            Instant windowEnd = up.minusSeconds(1);
            try {
                await(() -> times(id, windowStart, windowEnd).size() >= Duration.between(windowStart, windowEnd).toSeconds() - 1);
            } catch (AssertionError e) {
                throw new AssertionError("outage samples missing: " + times(id, windowStart, windowEnd).size()
                        + " stored; agent:\n" + agent.output(), e);
            }
            List<Instant> window = times(id, windowStart, windowEnd);
            for (int i = 1; i < window.size(); i++) {
                long gap = Duration.between(window.get(i - 1), window.get(i)).toMillis();
                assertTrue(gap < 1900, "a sample of the outage is missing: gap of " + gap + " ms");
            }
            await(() -> !times(id, up.plusSeconds(2), Instant.now()).isEmpty());
            assertEquals(0, duplicates(id), "no sample is stored twice");
            assertTrue(agent.alive());
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void samplesOfAnOutageSurviveARestartOfTheAgentDuringIt() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        String id;
        Instant down;
        Instant stopped;
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            id = startAgentWithConfig(agent, admin);
            await(() -> times(id, Instant.EPOCH, Instant.now()).size() >= 3);
            down = Instant.now();
            int from = agent.lineCount();
            server.close();
            server = null;
            // More than one failed push: the first keeps what waits on disk, the samples after it are in
            // memory only. The repeats are said together a minute after the first (docs/agent.md).
            int first = agent.await(java.util.regex.Pattern.compile("push failed"), from, SOON);
            agent.await(java.util.regex.Pattern.compile("\\d+ pushes failed since"), first + 1,
                    SOON.plus(SUMMARY_EVERY));
            stopped = Instant.now();
            agent.close();
            agent.await("samples not delivered are kept on disk", SOON);
        }
        server = PgfleetServer.start(settings);
        try (AgentProcess again = AgentProcess.start(dir.resolve("agent"), server.port())) {
            again.await("samples the last run could not deliver are sent first", SOON);
            Instant windowStart = down.plusSeconds(1);
            Instant windowEnd = stopped.minusSeconds(1);
            long seconds = Duration.between(windowStart, windowEnd).toSeconds();
            try {
                await(() -> times(id, windowStart, windowEnd).size() >= seconds - 1);
            } catch (AssertionError e) {
                throw new AssertionError("samples of the outage before the restart missing: "
                        + times(id, windowStart, windowEnd).size() + " of about " + seconds + " stored; agent:\n"
                        + again.output(), e);
            }
            assertEquals(0, duplicates(id), "no sample is stored twice");
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void anExpiredAccessTokenIsRefreshedAndWorkContinues() throws Exception {
        server = PgfleetServer.start(shortLivedTokens());
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            String id = startAgentWithConfig(agent, () -> ApiClient.asAdmin(server.port()));
            Instant start = Instant.now();
            // Tokens live 10 s (+2 s clock skew allowance): samples measured 17 s later need fresh tokens.
            Instant later = start.plus(TOKEN_TTL).plus(TOKEN_SKEW).plusSeconds(5);
            await(() -> !times(id, later, Instant.now()).isEmpty(), Duration.ofSeconds(90));
            assertEquals(0, agent.count("refused by the server"), agent.output());
            try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*) FROM refresh_tokens WHERE subject = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    int families = rs.getInt(1);
                    assertTrue(families >= 2 && families <= 6, "one refresh per expiry, not a refresh per request: " + families);
                }
            }
        }
    }

    /**
     * A server whose access tokens live 10 s (refused 12 s after they are issued), shorter than the
     * 25 s (and up to a tenth more) the agent asks the server to hold its watch: no watch is
     * answered 401 — the agent refreshes before a watch its token would not outlast, and asks for a
     * hold no longer than the token lives — the log says nothing of refused tokens, and what is
     * published is applied at once as before.
     */
    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void accessTokensShorterThanTheWatchHoldNeverHaveAWatchAnswered401() throws Exception {
        server = PgfleetServer.start(shortLivedTokens());
        ApiClient anonymous = new ApiClient(server.port());
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            String id = startAgentWithConfig(agent, () -> ApiClient.asAdmin(server.port()));
            // Only the agent reads its configuration: the first pull (404, nothing published yet) is
            // behind, and the token it has now is refused 12 s after it registered, not before.
            String watches = "pgfleet_http_request_duration_seconds_count{area=\"config\",method=\"GET\","
                    + "route=\"/api/v1/config/{id}\",status=";
            String before = anonymous.get("/observe/metrics").body();
            double refusedBefore = series(before, watches + "\"4xx\"}");
            double heldBefore = series(before, watches + "\"3xx\"}");
            // Two watches held to their end (304) take longer than the agent's token of the start
            // lives; a watch held past its token's expiry is answered 401 at its end, some 30 s from now.
            await(() -> {
                String m = anonymous.get("/observe/metrics").body();
                return series(m, watches + "\"4xx\"}") > refusedBefore || series(m, watches + "\"3xx\"}") >= heldBefore + 2;
            }, Duration.ofSeconds(90));
            String after = anonymous.get("/observe/metrics").body();
            assertEquals(refusedBefore, series(after, watches + "\"4xx\"}"), "no watch was answered 401: " + agent.output());
            assertEquals(0, agent.count("401"), agent.output());
            assertEquals(0, agent.count("refused by the server"), agent.output());

            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(false, 60).sysstatEvery(2).toml())
                    .statusCode());
            agent.await("applied configuration version 2 without a restart", SOON);
        }
    }

    private static double series(String metrics, String series) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(series)
                + " ([0-9.E+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /**
     * A plain HTTP proxy on loopback in front of the server, as a reverse proxy or an auth gateway
     * would sit: it passes every request on, except while {@link #blocking} names a path prefix,
     * whose requests it answers itself with a WAF's HTML 403 (the server never sees them).
     */
    private static final class Gateway implements AutoCloseable {
        private final com.sun.net.httpserver.HttpServer http;
        private final java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        private final java.util.concurrent.ExecutorService executor =
                java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        private final java.util.concurrent.atomic.AtomicInteger blocked = new java.util.concurrent.atomic.AtomicInteger();
        private volatile String blocking = "";
        private volatile String holding = "";
        private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger pushes = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean failHeld;

        Gateway(int serverPort) throws java.io.IOException {
            http = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            http.setExecutor(executor);
            http.createContext("/", ex -> {
                try (ex) {
                    byte[] body = ex.getRequestBody().readAllBytes();
                    String path = ex.getRequestURI().getRawPath();
                    if (!blocking.isEmpty() && path.startsWith(blocking)) {
                        blocked.incrementAndGet();
                        byte[] page = "<html><body><h1>403 Forbidden</h1>Request blocked by WAF</body></html>".getBytes();
                        ex.getResponseHeaders().add("Content-Type", "text/html");
                        ex.sendResponseHeaders(403, page.length);
                        ex.getResponseBody().write(page);
                        return;
                    }
                    if (path.startsWith("/api/v1/metrics/push")) {
                        pushes.incrementAndGet();
                    }
                    if (!holding.isEmpty() && path.startsWith(holding)) {
                        // A slow network or server: the request reaches the server only once released.
                        held.incrementAndGet();
                        released.await();
                        if (failHeld) {
                            byte[] page = "<html><body>503 Service Unavailable</body></html>".getBytes();
                            ex.getResponseHeaders().add("Content-Type", "text/html");
                            ex.sendResponseHeaders(503, page.length);
                            ex.getResponseBody().write(page);
                            return;
                        }
                    }
                    java.net.http.HttpRequest.Builder r = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            "http://127.0.0.1:" + serverPort + ex.getRequestURI()))
                            .timeout(Duration.ofSeconds(90))
                            .method(ex.getRequestMethod(), java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
                    ex.getRequestHeaders().forEach((name, values) -> {
                        if (!java.util.Set.of("host", "connection", "content-length", "expect", "upgrade")
                                .contains(name.toLowerCase(java.util.Locale.ROOT))) {
                            values.forEach(v -> r.header(name, v));
                        }
                    });
                    java.net.http.HttpResponse<byte[]> answer = client.send(r.build(),
                            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                    answer.headers().map().forEach((name, values) -> {
                        if (!java.util.Set.of("content-length", "transfer-encoding", "connection", ":status")
                                .contains(name.toLowerCase(java.util.Locale.ROOT))) {
                            values.forEach(v -> ex.getResponseHeaders().add(name, v));
                        }
                    });
                    boolean empty = answer.body().length == 0;
                    ex.sendResponseHeaders(answer.statusCode(), empty ? -1 : answer.body().length);
                    if (!empty) {
                        ex.getResponseBody().write(answer.body());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            http.start();
        }

        int port() {
            return http.getAddress().getPort();
        }

        /** Answers requests under this path prefix with the WAF's page; empty passes everything. */
        void block(String pathPrefix) {
            blocking = pathPrefix;
        }

        int blocked() {
            return blocked.get();
        }

        /** Holds requests under this path prefix until {@link #release()}. */
        void hold(String pathPrefix) {
            holding = pathPrefix;
        }

        /** Passes the held requests on, and every one after them. */
        void release() {
            holding = "";
            released.countDown();
        }

        int held() {
            return held.get();
        }

        /** Answers the held requests 503 (the server behind gone) instead of passing them on. */
        void failHeld() {
            failHeld = true;
            release();
        }

        int pushes() {
            return pushes.get();
        }

        @Override
        public void close() {
            http.stop(0);
            executor.shutdownNow();
            client.close();
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aWafsHtml403OnTheTokenRefreshDoesNotLockTheAgentOutAndItGoesOnByItselfOnceThePathIsFixed() throws Exception {
        // Tokens live 10 s (+2 s clock skew allowance): the agent must refresh within the first 12 s.
        server = PgfleetServer.start(shortLivedTokens());
        try (Gateway gateway = new Gateway(server.port());
             AgentProcess agent = AgentProcess.start(dir.resolve("agent"), gateway.port())) {
            String id = startAgentWithConfig(agent, () -> ApiClient.asAdmin(server.port()));
            gateway.block("/api/v1/auth/refresh");
            // Refused at the gateway more than once: the agent keeps trying instead of giving up for good.
            await(() -> gateway.blocked() >= 2, Duration.ofSeconds(120));
            assertFalse(agent.output().contains("refuses this agent's identity for good"), agent.output());
            assertTrue(agent.output().contains("a proxy or gateway in the way?"), agent.output());

            gateway.block("");
            Instant fixed = Instant.now();
            // Nobody touches the agent: no token, no file edit, no restart.
            try {
                await(() -> !times(id, fixed, Instant.now().plusSeconds(60)).isEmpty(), Duration.ofSeconds(120));
            } catch (AssertionError e) {
                throw new AssertionError("no samples after the path was fixed; agent:\n" + agent.output(), e);
            }
            assertFalse(agent.output().contains("refuses this agent's identity for good"), agent.output());
            assertTrue(agent.alive());
        }
    }

    /** An agent directory whose local file names an enrolment token file (not there yet). */
    private Path agentWithEnrolmentTokenFile() throws java.io.IOException {
        Path agentDir = dir.resolve("agent");
        java.nio.file.Files.createDirectories(agentDir);
        java.nio.file.Files.writeString(agentDir.resolve("agent.toml"), """
                server_url = "http://127.0.0.1:%d"
                name = "e2e-agent"
                registration_secret_file = "registration-secret"
                enrolment_token_file = "enrolment-token"
                state_dir = "state"
                """.formatted(server.port()));
        return agentDir;
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aRevokedCollectorStopsAskingAndAnEnrolmentTokenReBindsItToTheSameId() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        Path agentDir = agentWithEnrolmentTokenFile();
        try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
            String id = startAgentWithConfig(agent, admin);
            assertEquals(204, admin.postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
            int from = agent.await(java.util.regex.Pattern.compile("refuses this agent's identity for good"), 0, SOON);
            assertTrue(agent.output().contains("POST /api/v1/collectors/" + id + "/enrolment-token"), agent.output());
            Thread.sleep(10_000); // the observation window in which requests are counted
            long refusals = agent.output().lines().skip(from + 1).filter(l -> l.contains("refused")).count();
            assertEquals(0, refusals, "a refused identity stops asking:\n" + agent.output());
            assertTrue(agent.alive(), "a revoked agent keeps running (and collecting) until an operator acts");

            String issued = admin.postJson("/api/v1/collectors/" + id + "/enrolment-token", "").body();
            java.nio.file.Files.writeString(agentDir.resolve("enrolment-token"),
                    issued.replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1"));
            Instant rebound = Instant.now();
            agent.hangUp();
            // SIGHUP makes the agent look for the token at once, inside a watch the server still holds too.
            agent.await("re-enrolled: collector " + id + " is this agent's again", HANG_UP_ACTS);
            await(() -> !times(id, rebound, Instant.now().plusSeconds(60)).isEmpty());
            try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*) FROM collectors WHERE name = 'e2e-agent'")) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertEquals(1, rs.getInt(1), "the same collector, never a new one");
                }
            }
        }
    }

    /**
     * A host whose state directory was lost, started again with the enrolment token it enrolled with:
     * the server refuses the used token, and the agent says so in words with what to do, presents
     * it no more, and takes the new token an operator writes into the file.
     */
    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void anAgentStartedAgainWithTheTokenItUsedSaysWhatToDoAndTakesTheNewTokenWrittenIntoTheFile() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        Path agentDir = dir.resolve("agent");
        java.nio.file.Files.createDirectories(agentDir);
        java.nio.file.Files.writeString(agentDir.resolve("agent.toml"), """
                server_url = "http://127.0.0.1:%d"
                name = "e2e-agent"
                enrolment_token_file = "enrolment-token"
                state_dir = "state"
                """.formatted(server.port()));
        Path tokenFile = agentDir.resolve("enrolment-token");
        java.nio.file.Files.writeString(tokenFile, admin.enrolmentTokenForNew("reimaged-1"));
        try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
            agent.await("registered as collector reimaged-1", SOON);
        }
        try (var files = java.nio.file.Files.walk(agentDir.resolve("state"))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
            agent.await(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote("registration refused (401"
                    + " unauthorized): the registration secret or enrolment token is not accepted: the enrolment token in ")
                    + ".*was used already.*pgfleet collectors enrol ID"), 0, SOON);
            assertFalse(agent.output().contains("{\"type\""), "no problem document as JSON:\n" + agent.output());

            java.nio.file.Files.writeString(tokenFile, admin.postJson("/api/v1/collectors/reimaged-1/enrolment-token", "")
                    .body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1"));
            agent.hangUp();
            agent.await("registered as collector reimaged-1", HANG_UP_ACTS);
            assertEquals(1, agent.output().lines().filter(l -> l.contains("registration refused")).count(),
                    "said once:\n" + agent.output());
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aDecommissionedCollectorsAgentSaysSoWithoutTheReEnrolmentAdviceAndStopsAsking() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        try (AgentProcess agent = AgentProcess.start(agentWithEnrolmentTokenFile(), server.port())) {
            String id = startAgentWithConfig(agent, admin);
            assertEquals(204, admin.send(admin.request("/api/v1/collectors/" + id).DELETE()).statusCode());
            int from = agent.await(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote("collector " + id
                    + " was decommissioned; the server says: collector '" + id + "' was decommissioned at ")), 0, SOON);
            assertTrue(agent.output().contains("register it under a new id"), agent.output());
            assertFalse(agent.output().contains("/enrolment-token, then put the token"),
                    "no advice that cannot be followed:\n" + agent.output());
            Thread.sleep(10_000); // the observation window in which requests are counted
            long asked = agent.output().lines().skip(from + 1).filter(l -> l.contains("refused")
                    || l.contains("failed") || l.contains("decommissioned")).count();
            assertEquals(0, asked, "it stops asking, and says it once:\n" + agent.output());
            assertTrue(agent.alive(), "it keeps running (and collecting)");
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aSighupWhileTheServerHoldsTheWatchReEnrolsARevokedAgentAtOnce() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        Path agentDir = agentWithEnrolmentTokenFile();
        try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
            String id = startAgentWithConfig(agent, admin);
            // Version 2 ends the watch in progress; the next one starts as it is applied and the
            // server holds it for 25 s at least, nothing being newer.
            int status = admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(false, 60).sysstatEvery(2).toml())
                    .statusCode();
            assertTrue(status / 100 == 2, "version 2 published: " + status);
            int applied = agent.await(java.util.regex.Pattern.compile("applied configuration version 2 "), 0, SOON);
            Instant watchFrom = Instant.now();
            // Revoked: the next push (every second) is refused, while the pull lane is in that watch.
            assertEquals(204, admin.postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
            agent.await(java.util.regex.Pattern.compile("refuses this agent's identity for good"), applied, SOON);
            String issued = admin.postJson("/api/v1/collectors/" + id + "/enrolment-token", "").body();
            java.nio.file.Files.writeString(agentDir.resolve("enrolment-token"),
                    issued.replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1"));
            Instant hungUp = Instant.now();
            assertTrue(Duration.between(watchFrom, hungUp).compareTo(Duration.ofSeconds(10)) < 0,
                    "the signal comes while the watch is held (it started " + Duration.between(watchFrom, hungUp) + " ago)");
            int from = agent.lineCount();
            agent.hangUp();

            agent.await(java.util.regex.Pattern.compile("re-enrolled: collector " + id + " is this agent's again"), from,
                    HANG_UP_ACTS);
            // Ending the watch is neither a failure nor a reason to wait.
            assertEquals(0, agent.output().lines().skip(from).filter(l -> l.contains("unreachable")
                    || l.contains("pull failed") || l.contains("next attempt in")).count(), agent.output());
            await(() -> !times(id, hungUp, Instant.now().plusSeconds(60)).isEmpty());
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void anAgentStoppedWhileTheServerHoldsItsWatchSaysItStoppedAndNothingAboutItsServer() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            startAgentWithConfig(agent, admin);
            // Version 1 applied, the agent watches for the next: the server holds that watch (and the
            // agent pushes every second meanwhile).
            awaitHeldWatches(1);
            int from = agent.lineCount();
            agent.close();
            agent.await(java.util.regex.Pattern.compile("pgfleet-agent: stopped$"), from, SOON);
            assertNoFailureSaid(agent, from);
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void anAgentStoppedWhileAPushIsOnTheWayFinishesItAndSaysNothingAboutItsServer() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        try (Gateway gateway = new Gateway(server.port());
             AgentProcess agent = AgentProcess.start(dir.resolve("agent"), gateway.port())) {
            int from = stopWhileAPushIsHeld(agent, admin, gateway);
            // The stop has begun while the push is on its way (its watch ended); then the push arrives.
            gateway.release();
            agent.await(java.util.regex.Pattern.compile("pgfleet-agent: stopped$"), from, SOON);
            assertNoFailureSaid(agent, from);
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void anAgentStoppedWhileAPushFailsKeepsItsSamplesAndDoesNotTryAgain() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        try (Gateway gateway = new Gateway(server.port());
             AgentProcess agent = AgentProcess.start(dir.resolve("agent"), gateway.port())) {
            int from = stopWhileAPushIsHeld(agent, admin, gateway);
            int pushes = gateway.pushes();
            // The push on its way fails: nothing retries any more, and a last push would wait on the
            // same server again (a stalled one twice the answer deadline, past systemd's stop timeout).
            gateway.failHeld();
            agent.await(java.util.regex.Pattern.compile("pgfleet-agent: stopped$"), from, SOON);
            String said = agent.output().lines().skip(from).collect(java.util.stream.Collectors.joining("\n"));
            assertTrue(said.contains("push not delivered as the agent stops"), said);
            assertTrue(said.contains("kept on disk"), said);
            assertFalse(said.contains("retrying in"), "nothing retries after the stop: " + said);
            assertEquals(pushes, gateway.pushes(), "no push after the one that failed: " + said);
        }
    }

    /**
     * Starts the agent with a configuration, holds its next push on the way, sends SIGTERM and waits
     * until the agent says it is stopping.
     *
     * @return the first line of its output written after the signal
     */
    private int stopWhileAPushIsHeld(AgentProcess agent, ApiClient admin, Gateway gateway) throws Exception {
        startAgentWithConfig(agent, admin);
        awaitHeldWatches(1);
        gateway.hold("/api/v1/metrics/push");
        await(() -> gateway.held() >= 1);
        int from = agent.lineCount();
        agent.terminate();
        agent.await(java.util.regex.Pattern.compile("pgfleet-agent: stopping"), from, SOON);
        return from;
    }

    /** {@code systemctl stop} is not an outage: nothing the agent said after SIGTERM may read as its server failing. */
    private static void assertNoFailureSaid(AgentProcess agent, int from) {
        List<String> misleading = agent.output().lines().skip(from)
                .filter(l -> l.contains("unreachable") || l.contains("failed") || l.contains("interrupted")
                        || l.contains("next attempt in") || l.contains("retrying in") || l.contains("could not"))
                .toList();
        assertEquals(List.of(), misleading, agent.output());
    }

    /** Waits until the server holds this many watches, as its own metrics count them. */
    private void awaitHeldWatches(int expected) throws Exception {
        java.util.regex.Pattern held = java.util.regex.Pattern.compile("(?m)^pgfleet_watches_held(?:\\{[^}]*})? ([0-9.E]+)$");
        ApiClient anonymous = new ApiClient(server.port());
        await(() -> {
            java.util.regex.Matcher m = held.matcher(anonymous.get("/observe/metrics").body());
            return m.find() && Double.parseDouble(m.group(1)) == expected;
        });
    }

    /** A registered agent's files, its server at a port where nothing listens, its own metrics on. */
    private static Path registeredAgentOfAnAbsentServer(Path agentDir) throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Path state = agentDir.resolve("state");
        java.nio.file.Files.createDirectories(state);
        java.nio.file.Files.writeString(agentDir.resolve("agent.toml"), """
                server_url = "http://127.0.0.1:%d"
                name = "away-agent"
                registration_secret_file = "registration-secret"
                state_dir = "state"
                [metrics]
                enabled = true
                port = 0
                """.formatted(dead));
        java.nio.file.Files.writeString(state.resolve("identity.properties"), "collector_id=away-agent-1\nrefresh_token=r-1\n");
        return state;
    }

    /** How many runs of the sysstat collector the agent's own metrics count. */
    private static long sysstatRuns(AgentProcess agent) throws Exception {
        int line = agent.await("metrics at http://127\\.0\\.0\\.1:[0-9]+/metrics", SOON);
        String at = agent.output().lines().skip(line).findFirst().orElseThrow().replaceAll(".*metrics at ", "");
        String text = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(at))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith("pgfleet_agent_collection_duration_seconds_count{collector=\"sysstat\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aStateDirectoryDeletedWhileTheAgentRunsIsMadeAgainSoTheRestartIsTheSameCollector() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        Path agentDir = dir.resolve("agent");
        String id;
        try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
            id = startAgentWithConfig(agent, admin);
            // A tmp cleaner, a mistaken rm -rf, a mount provisioned anew.
            try (var walk = java.nio.file.Files.walk(agent.stateDir())) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(p);
                }
            }
            var published = admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(false, 30).sysstatEvery(1).toml());
            assertTrue(published.statusCode() == 201 || published.statusCode() == 200, published.body());
            agent.await("applied configuration version 2 ", SOON);
            agent.await("warning: the state directory .*state was gone \\(deleted while the agent ran\\); it is made again,"
                    + " mode 0700, with the identity of collector " + id, SOON);
            // Locked again before anything was written into it: a second agent started there now is refused.
            try (AgentProcess second = AgentProcess.start(agentDir, server.port())) {
                second.await("another agent \\(pid " + agent.pid() + "\\) runs with the state directory", SOON);
                assertEquals(2, second.exitStatus());
            }
            agent.close();
            agent.await("stopped", SOON);
            assertTrue(agent.output().lines().noneMatch(l -> l.contains("no longer on disk")), agent.output());
        }
        try (AgentProcess again = AgentProcess.start(agentDir, server.port())) {
            again.await("starting, collector " + id, SOON);
            again.await("applied configuration version 2 ", SOON);
            assertTrue(again.output().lines().noneMatch(l -> l.contains("registered as collector")), again.output());
        }
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM collectors");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertEquals(1, rs.getInt(1), "no second collector for the host");
        }
    }

    /**
     * The service runs and an operator starts the same command by hand to watch its output (or a
     * container is started again while the old one still runs): two agents on one state directory
     * are one collector with one refresh token, which the server takes for a stolen token at the next
     * refresh and answers by revoking the collector, both agents locked out. The second one refuses to
     * start, naming the first; the first keeps its identity through refreshes; and an agent that ended
     * without stopping ({@code kill -9}) keeps no later one from starting.
     */
    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aSecondAgentOnTheSameStateDirectoryRefusesToStartAndTheFirstKeepsItsIdentity() throws Exception {
        server = PgfleetServer.start(shortLivedTokens());
        Path agentDir = dir.resolve("agent");
        String id;
        try (AgentProcess first = AgentProcess.start(agentDir, server.port())) {
            id = startAgentWithConfig(first, () -> ApiClient.asAdmin(server.port()));
            try (AgentProcess second = AgentProcess.start(agentDir, server.port())) {
                second.await("another agent \\(pid " + first.pid() + "\\) runs with the state directory .*state: two"
                        + " agents there would be one collector", SOON);
                await(() -> !second.alive());
                assertEquals(0, second.count("starting, collector"), second.output());
            }
            // Past the first agent's next token refreshes: still this collector's agent, still delivering.
            Instant later = Instant.now().plus(TOKEN_TTL).plus(TOKEN_SKEW).plusSeconds(5);
            await(() -> !times(id, later, Instant.now()).isEmpty(), Duration.ofSeconds(90));
            assertEquals(0, first.count("refuses this agent's identity"), first.output());
            // Ended without stopping: the kernel lets go of its lock, the file it wrote stays.
            ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly();
            await(() -> !first.alive());
        }
        try (AgentProcess again = AgentProcess.start(agentDir, server.port())) {
            again.await("starting, collector " + id, SOON);
            again.await("applied configuration version 1 ", SOON);
            assertEquals(0, again.count("another agent"), again.output());
        }
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aRegisteredAgentWithADamagedLastKnownGoodCollectsWhileTheServerIsAwayAndSaysWhy() throws Exception {
        Path agentDir = dir.resolve("agent");
        Path state = registeredAgentOfAnAbsentServer(agentDir);
        java.nio.file.Files.writeString(state.resolve("last-known-good.version"), "abc");
        java.nio.file.Files.write(state.resolve("last-known-good.toml"), new byte[] {(byte) 0xc3, 0x28, (byte) 0xff, 0x13});
        try (AgentProcess agent = AgentProcess.start(agentDir, 1)) {
            agent.await("the last-known-good configuration cannot be used: last-known-good.version holds no version"
                    + " number", SOON);
            agent.await("the server cannot be reached \\(.*\\) and no last-known-good configuration can be used:"
                    + " collecting with the defaults until it answers", SOON);
            await(() -> sysstatRuns(agent) >= 1);
            agent.close();
            agent.await("[1-9][0-9]* samples not delivered are kept on disk", SOON);
        }
        assertTrue(java.nio.file.Files.readAllLines(state.resolve("unsent-samples.jsonl")).size() > 1,
                "what it collected waits for the server");
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    void aRegisteredAgentStartsOnAStateDirectoryItCannotWriteAndAnUnregisteredOneRefusesToStart() throws Exception {
        Path agentDir = dir.resolve("agent");
        Path state = registeredAgentOfAnAbsentServer(agentDir);
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("chattr", "+i", state.toString()).start().waitFor() == 0,
                "chattr +i is not possible here");
        try {
            try (AgentProcess agent = AgentProcess.start(agentDir, 1)) {
                agent.await("warning: the state directory .*state cannot be written \\(Operation not permitted\\); the agent"
                        + " runs and collects, but keeps nothing over a restart", SOON);
                agent.await("collecting with the defaults until it answers", SOON);
                await(() -> sysstatRuns(agent) >= 1);
                assertTrue(agent.alive());
            }
            Path fresh = dir.resolve("fresh");
            Path freshState = registeredAgentOfAnAbsentServer(fresh);
            java.nio.file.Files.delete(freshState.resolve("identity.properties"));
            assertEquals(0, new ProcessBuilder("chattr", "+i", freshState.toString()).start().waitFor());
            try (AgentProcess agent = AgentProcess.start(fresh, 1)) {
                agent.await("cannot be written \\(Operation not permitted\\), and this agent is not registered yet", SOON);
                await(() -> !agent.alive());
                assertTrue(agent.output().lines().noneMatch(l -> l.contains("cannot create")), agent.output());
            } finally {
                new ProcessBuilder("chattr", "-i", freshState.toString()).start().waitFor();
            }
        } finally {
            new ProcessBuilder("chattr", "-i", state.toString()).start().waitFor();
        }
    }

    private interface Check {
        boolean done() throws Exception;
    }

    private static void await(Check check) throws Exception {
        await(check, SOON);
    }

    private static void await(Check check, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.done()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("condition not met within " + timeout);
    }
}
