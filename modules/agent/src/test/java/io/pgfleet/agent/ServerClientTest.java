package io.pgfleet.agent;

import io.pgfleet.agent.core.AgentCore;
import io.pgfleet.agent.core.ConfigSource;
import io.pgfleet.agent.core.Enroller;
import io.pgfleet.agent.core.ServerException;
import io.pgfleet.agent.transport.ServerClient;
import io.pgfleet.domain.fleet.Sample;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's HTTP adapter against a small real HTTP server on loopback. */
class ServerClientTest {

    private final List<String> saved = new CopyOnWriteArrayList<>();

    private ServerClient registered(FakeFleetServer server) throws ServerException {
        ServerClient c = new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                (id, refresh) -> saved.add(id + ":" + refresh));
        c.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of());
        return c;
    }

    /**
     * The server checks a watch's access token again as it answers: a watch asks to be held no
     * longer than its token lives (as the answer's {@code expires_in} says), and as long as the
     * core asked when the token outlives that or the server does not say.
     */
    @Test
    void aWatchAsksForNoLongerHoldThanItsAccessTokenLives() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            // Published: each watch is answered at once, whatever it asks.
            server.publish(2, "[collectors.sysstat]\ninterval = \"10s\"\n");
            // A server that does not say; a token of 15 minutes; one of 5 s: 5 s less the margin, and
            // the tenth the server may add to the hold.
            for (String expiresIn : List.of("", ",\"expires_in\":900", ",\"expires_in\":5")) {
                server.answerRegistrationsWith(Optional.of(
                        "{\"collector_id\":\"c-1\",\"access_token\":\"a0\",\"refresh_token\":\"r0\"" + expiresIn + "}"));
                registered(server).fetch(new ConfigSource.Request("", AgentCore.WATCH_SECONDS, 1));
            }
            assertEquals(List.of(AgentCore.WATCH_SECONDS, AgentCore.WATCH_SECONDS, 2), server.waits());
        }
    }

    @Test
    void aRegistrationAnswerWithoutAUsableIdOrTokensIsRefusedAndNothingIsKept() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                    (id, refresh) -> saved.add(id + ":" + refresh));
            for (String answer : List.of(
                    "{\"collector_id\":\"../../config/other?x=\",\"access_token\":\"a\",\"refresh_token\":\"r\"}",
                    "{\"collector_id\":\"c-1\",\"access_token\":\"\",\"refresh_token\":\"\"}",
                    "{\"collector_id\":\"c-1\",\"access_token\":\"a\",\"refresh_token\":\"r\\nx=y\"}",
                    "{\"collector_id\":7,\"access_token\":\"a\",\"refresh_token\":\"r\"}",
                    "{\"collector_id\":null,\"access_token\":\"a\",\"refresh_token\":\"r\"}",
                    "{\"access_token\":\"a\",\"refresh_token\":\"r\"}")) {
                server.answerRegistrationsWith(Optional.of(answer));
                ServerException e = assertThrows(ServerException.class,
                        () -> c.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of()), answer);
                assertTrue(e.getMessage().contains("registration answer"), e.getMessage());
            }
            assertEquals(List.of(), saved, "nothing of those answers was kept");
            assertTrue(c.collectorId().isEmpty());
            server.answerRegistrationsWith(Optional.empty());
            assertEquals("c-1", c.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of()));
            assertEquals(List.of("c-1:r0"), saved);
        }
    }

    @Test
    void a401IsFollowedByExactlyOneRefreshAndOneRetryAndTheNewPairIsKeptFirst() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            server.expireAccessToken();
            assertEquals(new ConfigSource.Fetch.NoConfiguration(), c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(1, server.refreshes());
            assertEquals(List.of("c-1:r0", "c-1:r1"), saved, "the rotated refresh token is on disk");
        }
    }

    @Test
    void pullAndPushNeverRefreshConcurrently() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer(); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            ServerClient c = registered(server);
            server.expireAccessToken();
            List<Sample> one = List.of(new Sample("x", Map.of(), 1, Instant.now()));
            List<Future<?>> all = List.of(
                    pool.submit(() -> c.fetch(new ConfigSource.Request("", 0, 0))),
                    pool.submit(() -> {
                        c.push("b1", one);
                        return null;
                    }),
                    pool.submit(() -> {
                        c.push("b2", one);
                        return null;
                    }),
                    pool.submit(() -> c.fetch(new ConfigSource.Request("", 0, 0))));
            for (Future<?> f : all) {
                f.get();
            }
            assertEquals(1, server.mostConcurrentRefreshes(), "single-flight");
            assertEquals(1, server.refreshes(), "one refresh serves every lane that met the 401");
        }
    }

    @Test
    void aRefusedRefreshMeansTheIdentityIsRefusedNotARetryLoop() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            server.expireAccessToken();
            server.refuseRefresh();
            ServerException e = assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(ServerException.Kind.IDENTITY_REFUSED, e.kind());
            assertEquals(1, server.configRequests(), "no retry after a refused refresh");
        }
    }

    @Test
    void aRefreshRefusedForADecommissionedCollectorSaysSoInTheServersWordsNotAsAnIdentityToReEnrol() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            server.expireAccessToken();
            server.decommission();
            ServerException e = assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(ServerException.Kind.DECOMMISSIONED, e.kind());
            assertTrue(e.getMessage().contains("was decommissioned at 2026-11-30T09:12:44.512Z"), e.getMessage());
            assertTrue(e.getMessage().endsWith("register the host under a new id (a new collector)"), e.getMessage());
        }
    }

    /** Pages a proxy, an auth gateway or a WAF answers with: anything but the server's problem document. */
    private static List<FakeFleetServer.InFront> notTheServers(List<String> paths, int status) {
        return List.of(
                new FakeFleetServer.InFront(paths, status, "text/html", "<html><body>Forbidden by WAF</body></html>"),
                new FakeFleetServer.InFront(paths, status, "application/json", "{\"error\":\"unauthorized\"}"),
                new FakeFleetServer.InFront(paths, status, "", ""),
                // Problem-shaped, but not the server's: another media type, or a type not under pgfleet's.
                new FakeFleetServer.InFront(paths, status, "application/json",
                        "{\"type\":\"https://pgfleet.io/problems/unauthorized\",\"status\":" + status + "}"),
                new FakeFleetServer.InFront(paths, status, "application/problem+json",
                        "{\"type\":\"https://gateway.example/problems/collector-decommissioned\",\"status\":" + status + "}"));
    }

    @Test
    void aRefreshAnswered401Or403ByAProxyIsAFailureRetriedAndTheIdentityIsKept() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            server.expireAccessToken();
            for (int status : List.of(401, 403)) {
                for (FakeFleetServer.InFront page : notTheServers(List.of("/api/v1/auth/refresh"), status)) {
                    server.inFront(Optional.of(page));
                    ServerException e = assertThrows(ServerException.class,
                            () -> c.fetch(new ConfigSource.Request("", 0, 0)), page.toString());
                    assertEquals(ServerException.Kind.UNAVAILABLE, e.kind(), page + ": " + e.getMessage());
                    assertTrue(e.getMessage().contains("token refresh answered " + status), e.getMessage());
                    assertTrue(e.getMessage().contains("a proxy or gateway in the way?"), e.getMessage());
                }
            }
            ServerException html = assertThrows(ServerException.class, () -> {
                server.inFront(Optional.of(notTheServers(List.of("/api/v1/auth/refresh"), 403).getFirst()));
                c.fetch(new ConfigSource.Request("", 0, 0));
            });
            assertTrue(html.getMessage().contains("Content-Type text/html, beginning '<html><body>Forbidden by WAF"),
                    "what answered is said: " + html.getMessage());
            assertEquals(0, server.refreshes(), "the server never saw a refresh");

            // The path fixed: the same identity goes on, its refresh token unused until now.
            server.inFront(Optional.empty());
            assertEquals(new ConfigSource.Fetch.NoConfiguration(), c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(List.of("c-1:r0", "c-1:r1"), saved);
        }
    }

    @Test
    void onlyTheServersOwnProblemDocumentRefusesTheIdentityOrSaysItWasDecommissioned() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            server.expireAccessToken();
            // A gateway in front that copies the server's words but not its media type.
            server.inFront(Optional.of(new FakeFleetServer.InFront(List.of("/api/v1/auth/refresh"), 401, "application/json",
                    "{\"type\":\"https://pgfleet.io/problems/collector-decommissioned\",\"detail\":\"gone\"}")));
            assertEquals(ServerException.Kind.UNAVAILABLE,
                    assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0))).kind());
            server.inFront(Optional.empty());
            server.refuseRefresh();
            assertEquals(ServerException.Kind.IDENTITY_REFUSED,
                    assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0))).kind());
        }
    }

    @Test
    void anEnrolmentTokenOrSecretAnswered401Or403ByAProxyIsAFailureRetriedNotARefusal() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                    (id, refresh) -> saved.add(id + ":" + refresh));
            for (Enroller.Credential credential : List.of(new Enroller.Credential.Token("one-time"),
                    new Enroller.Credential.Secret("s"))) {
                for (int status : List.of(401, 403, 400)) {
                    for (FakeFleetServer.InFront page : notTheServers(List.of("/api/v1/collectors/register"), status)) {
                        server.inFront(Optional.of(page));
                        ServerException e = assertThrows(ServerException.class,
                                () -> c.register(credential, "n", "h", Map.of()), page.toString());
                        assertEquals(ServerException.Kind.UNAVAILABLE, e.kind(), page + ": " + e.getMessage());
                    }
                }
                // The server's own refusal is one, as before, said in words: its status, type and detail,
                // not its JSON (whose request_id is new in every answer).
                server.inFront(Optional.of(new FakeFleetServer.InFront(List.of("/api/v1/collectors/register"), 401,
                        "application/problem+json; charset=utf-8", "{\"type\":\"https://pgfleet.io/problems/unauthorized\","
                        + "\"title\":\"Registration refused\",\"status\":401,\"detail\":\"the registration secret or"
                        + " enrolment token is not accepted\",\"request_id\":\"5d1c\"}")));
                ServerException refused = assertThrows(ServerException.class, () -> c.register(credential, "n", "h", Map.of()));
                assertEquals(ServerException.Kind.UNAUTHORIZED, refused.kind());
                assertEquals("registration refused (401 unauthorized): the registration secret or enrolment token is not"
                        + " accepted", refused.getMessage());
            }
            server.inFront(Optional.empty());
            assertEquals("c-1", c.register(new Enroller.Credential.Token("one-time"), "n", "h", Map.of()));
        }
    }

    @Test
    void aPushAnswered4xxByAProxyIsKeptForARetryAndOnlyTheServersProblemRefusesIt() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            List<Sample> one = List.of(new Sample("x", Map.of(), 1, Instant.now()));
            for (int status : List.of(400, 401, 403, 404, 422)) {
                for (FakeFleetServer.InFront page : notTheServers(List.of("/api/v1/metrics/push"), status)) {
                    server.inFront(Optional.of(page));
                    ServerException e = assertThrows(ServerException.class, () -> c.push("b1", one), page.toString());
                    assertEquals(ServerException.Kind.UNAVAILABLE, e.kind(), page + ": " + e.getMessage());
                    assertTrue(e.getMessage().contains("push answered " + status), e.getMessage());
                }
            }
            assertEquals(0, server.refreshes(), "a gateway's 401 is not the access token's expiry: no refresh");

            server.inFront(Optional.of(new FakeFleetServer.InFront(List.of("/api/v1/metrics/push"), 422,
                    "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/invalid-samples\",\"status\":422,"
                    + "\"detail\":\"sample 0 is from the future\"}")));
            ServerException refused = assertThrows(ServerException.class, () -> c.push("b1", one));
            assertEquals(ServerException.Kind.REJECTED, refused.kind(), "the server's verdict on the batch");

            server.inFront(Optional.empty());
            c.push("b1", one);
            assertEquals(1, server.storedBatches().size());
        }
    }

    @Test
    void aPull404ByAProxyIsAFailureNotNoConfiguration() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            server.inFront(Optional.of(new FakeFleetServer.InFront(List.of("/api/v1/config/"), 404, "text/html",
                    "<html>404 Not Found</html>")));
            assertEquals(ServerException.Kind.UNAVAILABLE,
                    assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0))).kind());
            server.inFront(Optional.empty());
            assertEquals(new ConfigSource.Fetch.NoConfiguration(), c.fetch(new ConfigSource.Request("", 0, 0)),
                    "the server's own 404");
        }
    }

    @Test
    void aRotatedPairThatCannotBeWrittenToAFullDiskIsStillUsedAndWrittenAsSoonAsTheDiskTakesIt() throws Exception {
        boolean[] diskFull = {false};
        List<String> warnings = new CopyOnWriteArrayList<>();
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                    (id, refresh) -> {
                        if (diskFull[0]) {
                            throw new java.io.UncheckedIOException("cannot write identity.properties",
                                    new java.io.IOException("No space left on device"));
                        }
                        saved.add(id + ":" + refresh);
                    }, warnings::add);
            c.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of());
            diskFull[0] = true;
            server.expireAccessToken();
            // The server has rotated the refresh token: dropping the new pair would burn the family
            // once the reuse grace is over. It is used, and the agent says what is at stake.
            assertEquals(new ConfigSource.Fetch.NoConfiguration(), c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(new ConfigSource.Fetch.NoConfiguration(), c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(1, server.refreshes(), "the new access token works; no refresh again");
            assertTrue(warnings.stream().anyMatch(w -> w.contains("could not keep the new refresh token")
                    && w.contains("No space left on device")), warnings.toString());
            diskFull[0] = false;
            c.fetch(new ConfigSource.Request("", 0, 0));
            assertEquals(List.of("c-1:r0", "c-1:r1"), saved, "kept on disk as soon as it could be");
        }
    }

    @Test
    void anAnswerLargerThanAnyConfigurationIsNotReadIntoMemory() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            server.publish(1, "#".repeat(ServerClient.MAX_DOCUMENT_BYTES + 1));
            ServerException e = assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(ServerException.Kind.UNAVAILABLE, e.kind());
            assertTrue(e.getMessage().contains("larger than 1024 KiB"), e.getMessage());
            server.publish(2, "[collector]\npush_interval = 10\n");
            assertEquals(2, ((ConfigSource.Fetch.Fetched) c.fetch(new ConfigSource.Request("", 0, 0))).version(),
                    "and the next answer is read as usual");
        }
    }

    @Test
    void aKnownAgentNeverRegistersUnderANewIdWithTheSecret() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            ServerClient c = registered(server);
            ServerException e = assertThrows(ServerException.class,
                    () -> c.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of()));
            assertEquals(ServerException.Kind.REJECTED, e.kind());
            assertTrue(e.getMessage().contains("only an enrolment token"), e.getMessage());
        }
    }

    @Test
    void anAnswerTrickledWithoutEndIsAbandonedAtTheDeadlineAndItsConnectionClosed() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CountDownLatch closedByAgent = new java.util.concurrent.CountDownLatch(1);
            Thread.ofVirtual().start(() -> trickleForever(listener, closedByAgent));
            ServerClient c = new ServerClient(java.net.URI.create("http://127.0.0.1:" + listener.getLocalPort()),
                    Optional.empty(), Optional.empty(), Optional.empty(), "c-1", "r0", (id, refresh) -> { })
                    .answeringWithin(java.time.Duration.ofSeconds(1));
            // Each read gets a byte well within the read timeout, so only a deadline on the whole
            // exchange ends it; without one the pull lane would wait for as long as the server likes.
            ServerException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofMinutes(2),
                    () -> assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0))));
            assertEquals(ServerException.Kind.UNAVAILABLE, e.kind());
            assertTrue(e.getMessage().contains("no complete answer within 1 s"), e.getMessage());
            closedByAgent.await();
        }
    }

    @Test
    void anEndedWatchReturnsAtOnceUnansweredClosesItsConnectionAndInterruptsNoOne() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
             ExecutorService lane = Executors.newSingleThreadExecutor()) {
            HeldRequests server = new HeldRequests(listener);
            ServerClient c = new ServerClient(URI.create("http://127.0.0.1:" + listener.getLocalPort()),
                    Optional.empty(), Optional.empty(), Optional.empty(), "c-1", "r0", (id, refresh) -> { });
            Future<List<Object>> watch = lane.submit(() -> List.of(c.fetch(new ConfigSource.Request("\"v1\"", 25, 1)),
                    Thread.currentThread().isInterrupted()));
            assertTrue(server.heads.take().startsWith("GET /api/v1/config/c-1?wait=25&after=1 "), "held by the server");

            c.abortWatch();

            assertEquals(List.of(new ConfigSource.Fetch.Aborted(), false),
                    watch.get(10, java.util.concurrent.TimeUnit.SECONDS), "at once, and the lane is not interrupted");
            server.closedByAgent.await();
            // The abort ended that watch only: the next one is sent and answered.
            server.release.countDown();
            assertEquals(new ConfigSource.Fetch.NotModified(), c.fetch(new ConfigSource.Request("\"v1\"", 25, 1)));
        }
    }

    @Test
    void aPlainPullUnderWayIsNotEndedByAbortWatchAndTheAbortEndsWithIt() throws Exception {
        try (java.net.ServerSocket listener = new java.net.ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
             ExecutorService lane = Executors.newSingleThreadExecutor()) {
            HeldRequests server = new HeldRequests(listener);
            ServerClient c = new ServerClient(URI.create("http://127.0.0.1:" + listener.getLocalPort()),
                    Optional.empty(), Optional.empty(), Optional.empty(), "c-1", "r0", (id, refresh) -> { });
            Future<ConfigSource.Fetch> pull = lane.submit(() -> c.fetch(new ConfigSource.Request("", 0, 0)));
            assertTrue(server.heads.take().startsWith("GET /api/v1/config/c-1 "), "held by the server");

            c.abortWatch();
            server.release.countDown();

            assertEquals(new ConfigSource.Fetch.NotModified(), pull.get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(1, server.closedByAgent.getCount(), "its connection was not cut");
            assertEquals(new ConfigSource.Fetch.NotModified(), c.fetch(new ConfigSource.Request("\"v1\"", 25, 1)),
                    "and the next watch is sent as usual");
        }
    }

    /**
     * A server that holds every request (its head in {@link #heads}) until {@link #release}, then
     * answers 304 and closes; {@link #closedByAgent} counts a connection the agent closed first.
     */
    private static final class HeldRequests {
        final java.util.concurrent.BlockingQueue<String> heads = new java.util.concurrent.LinkedBlockingQueue<>();
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch closedByAgent = new java.util.concurrent.CountDownLatch(1);

        HeldRequests(java.net.ServerSocket listener) {
            Thread.ofVirtual().start(() -> {
                while (!listener.isClosed()) {
                    try {
                        java.net.Socket s = listener.accept();
                        Thread.ofVirtual().start(() -> hold(s));
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
        }

        private void hold(java.net.Socket socket) {
            try (java.net.Socket s = socket) {
                java.io.InputStream in = s.getInputStream();
                String head = "";
                byte[] buffer = new byte[8192];
                while (!head.contains("\r\n\r\n")) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        return;
                    }
                    head += new String(buffer, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
                }
                heads.add(head);
                // Reads in short slices, so that a connection the agent closes is seen as it goes.
                s.setSoTimeout(20);
                while (!release.await(0, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    try {
                        if (in.read() < 0) {
                            closedByAgent.countDown();
                            return;
                        }
                    } catch (java.net.SocketTimeoutException e) {
                        // still open
                    }
                }
                s.getOutputStream().write("HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
            } catch (java.io.IOException e) {
                closedByAgent.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Answers one request with a chunked body of one byte every 20 ms that never ends, until the
     * client closes the connection.
     */
    private static void trickleForever(java.net.ServerSocket listener, java.util.concurrent.CountDownLatch closed) {
        try (java.net.Socket s = listener.accept()) {
            java.io.InputStream in = s.getInputStream();
            java.io.OutputStream out = s.getOutputStream();
            byte[] request = new byte[8192];
            // The request's head: read until the blank line.
            String head = "";
            while (!head.contains("\r\n\r\n")) {
                int n = in.read(request);
                if (n < 0) {
                    return;
                }
                head += new String(request, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
            }
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/toml\r\nX-Config-Version: 1\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.flush();
            while (true) {
                out.write("1\r\n#\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                out.flush();
                Thread.sleep(20);
            }
        } catch (java.io.IOException e) {
            // the agent closed the connection: what the test waits for
            closed.countDown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aVersionTheAgentCouldNotAskAfterIsRefusedAndA304SaysWhatTheServerHas() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> version = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> queries = new CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer http = registeringStub(ex -> {
            queries.add(String.valueOf(ex.getRequestURI().getRawQuery()));
            if (version.get() != null) {
                ex.getResponseHeaders().add("X-Config-Version", version.get());
            }
            ex.getResponseHeaders().add("ETag", "\"3-abc\"");
            boolean notModified = "\"3-abc\"".equals(ex.getRequestHeaders().getFirst("If-None-Match"));
            byte[] body = "[collector]\npush_interval = 10\n".getBytes();
            ex.sendResponseHeaders(notModified ? 304 : 200, notModified ? -1 : body.length);
            if (!notModified) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        try {
            ServerClient c = registeredWith(http);
            for (String hostile : java.util.Arrays.asList(null, "0", "-1", "2147483648", "3x")) {
                version.set(hostile);
                ServerException e = assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0)),
                        "X-Config-Version " + hostile);
                assertTrue(e.getMessage().contains("X-Config-Version"), e.getMessage());
            }
            version.set("2147483647");
            assertEquals(Integer.MAX_VALUE, ((ConfigSource.Fetch.Fetched) c.fetch(new ConfigSource.Request("", 0, 0))).version());

            version.set("3");
            assertEquals(new ConfigSource.Fetch.NotModified(3, "\"3-abc\""),
                    c.fetch(new ConfigSource.Request("\"3-abc\"", 0, 5)), "what the server has, to compare with the agent's");
            assertEquals("wait=0&after=5", queries.getLast(), "a pull says what the agent has, so an older server answers at once");
            c.fetch(new ConfigSource.Request("", 0, 0));
            assertEquals("null", queries.getLast(), "the first pull of an agent without a version is a plain read");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void aDocumentThatDoesNotMatchItsETagOrComesEncodedUnaskedIsAFailedPullNotADocument() throws Exception {
        String document = "[collectors.pg_stats]\ninterval = 40\n";
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(document.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0, 8);
        java.util.concurrent.atomic.AtomicReference<String> mode = new java.util.concurrent.atomic.AtomicReference<>("as sent");
        com.sun.net.httpserver.HttpServer http = registeringStub(ex -> {
            // What a middlebox may do to the server's answer, keeping its headers.
            String body = switch (mode.get()) {
                case "cut short" -> document.substring(0, document.length() - 2); // "interval = 4": valid TOML
                default -> document;
            };
            ex.getResponseHeaders().add("X-Config-Version", "5");
            ex.getResponseHeaders().add("ETag", "\"5-" + hash + "\"");
            if (mode.get().equals("encoded")) {
                ex.getResponseHeaders().add("Content-Encoding", "gzip");
            }
            byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        try {
            ServerClient c = registeredWith(http);
            ConfigSource.Fetch.Fetched whole = (ConfigSource.Fetch.Fetched) c.fetch(new ConfigSource.Request("", 0, 0));
            assertEquals(document, whole.document());

            mode.set("cut short");
            ServerException cut = assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(ServerException.Kind.UNAVAILABLE, cut.kind(), "retried like an unreachable server");
            assertTrue(cut.getMessage().contains("does not match its ETag"), cut.getMessage());

            mode.set("encoded");
            ServerException encoded = assertThrows(ServerException.class, () -> c.fetch(new ConfigSource.Request("", 0, 0)));
            assertEquals(ServerException.Kind.UNAVAILABLE, encoded.kind());
            assertTrue(encoded.getMessage().contains("Content-Encoding 'gzip'"), encoded.getMessage());
        } finally {
            http.stop(0);
        }
    }

    /** A stub server that registers any agent as {@code c-1} and answers its configuration pulls with {@code config}. */
    private static com.sun.net.httpserver.HttpServer registeringStub(com.sun.net.httpserver.HttpHandler config)
            throws java.io.IOException {
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/api/v1/collectors/register", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] body = "{\"collector_id\":\"c-1\",\"access_token\":\"a\",\"refresh_token\":\"r\"}".getBytes();
            ex.sendResponseHeaders(201, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        http.createContext("/api/v1/config/", config);
        http.start();
        return http;
    }

    /** A client of the stub, registered. */
    private static ServerClient registeredWith(com.sun.net.httpserver.HttpServer http) throws Exception {
        ServerClient c = new ServerClient(URI.create("http://127.0.0.1:" + http.getAddress().getPort()), Optional.empty(),
                Optional.empty(), Optional.empty(), "", "", (id, refresh) -> { });
        c.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of());
        return c;
    }
}
