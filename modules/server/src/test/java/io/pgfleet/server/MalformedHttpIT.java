package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Requests that are broken at the HTTP level, sent byte for byte over a raw socket as a hostile or
 * broken client would: each is a {@code 4xx} problem, never a {@code 5xx} and never a hang.
 */
class MalformedHttpIT {

    private static PgfleetServer server;
    private static TestDatabase database;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        server = TestServers.start(database);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The status line, headers and body the server answered, or fails when it does not answer within the deadline. */
    private static String exchange(String request, boolean closeOutput) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            // A deadline for "the server answers at all"; the answer normally comes at once.
            s.setSoTimeout(20_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            if (closeOutput) {
                s.shutdownOutput();
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    String text = out.toString(StandardCharsets.ISO_8859_1);
                    int headEnd = text.indexOf("\r\n\r\n");
                    if (headEnd >= 0) {
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                                .matcher(text.substring(0, headEnd));
                        if (m.find() && text.length() - headEnd - 4 >= Integer.parseInt(m.group(1))) {
                            break;
                        }
                    }
                }
            } catch (SocketTimeoutException e) {
                fail("no answer within the deadline to: " + request.lines().findFirst().orElse("")
                        + "; got so far: " + out.toString(StandardCharsets.ISO_8859_1));
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static void assertProblem(String answer, int status) {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/problem+json"), answer);
    }

    @Test
    void aBodyShorterThanItsContentLengthIsA400NotA500() throws IOException {
        String answer = exchange("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n{\"username\":", true);
        assertProblem(answer, 400);
        assertTrue(answer.contains("Content-Length"), answer);
        assertEquals(0, serverErrors(), "no request is counted as a server error");
    }

    @Test
    void aNegativeContentLengthIsAnsweredAtOnceWith400() throws IOException {
        String answer = exchange("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: -5\r\n\r\n", false);
        assertProblem(answer, 400);
        assertTrue(answer.contains("Content-Length"), answer);
    }

    /**
     * A body far over the limit (a log file published by mistake) is refused by the listener before
     * any route reads it; the answer still says what the limit is, like the API's own 413 for a
     * body just over 256 KiB, not that the request was not HTTP.
     */
    @Test
    void aBodyOverTheListenersLimitIsAnsweredAsTooLargeWithTheLimit() throws IOException {
        String answer = exchange("PUT /api/v1/config/db-01 HTTP/1.1\r\nHost: x\r\nContent-Type: application/toml\r\n"
                + "Content-Length: " + (20L * 1024 * 1024) + "\r\n\r\n[collector]\n", false);
        assertProblem(answer, 413);
        assertTrue(answer.contains("\"type\":\"https://pgfleet.io/problems/payload-too-large\""), answer);
        assertTrue(answer.contains("request bodies are limited to 262144 bytes (256 KiB)"), answer);
    }

    /** How many requests the metrics count with a 5xx status. */
    private static long serverErrors() {
        return new ApiClient(server.port()).get("/observe/metrics").body().lines()
                .filter(l -> l.startsWith("pgfleet_http_requests_seconds_count{") && l.contains("status=\"5"))
                .count();
    }

    @Test
    void anUnencodedInstantInAQueryIsAcceptedAsRfc3986AllowsWhileCharactersAQueryCannotHoldAreRefusedWithARequestId()
            throws IOException {
        String token = ApiClient.asAdmin(server.port()).token();
        // ':' and '@' are query characters (RFC 3986 §3.4), as a shell user typing an instant sends them.
        String answer = exchange("GET /api/v1/audit?since=2026-11-29T10:00:00Z&limit=1 HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + token + "\r\n\r\n", false);
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        String refused = exchange("GET /api/v1/audit?since=2026-11-29T10:00:00Z&x=a\"b HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + token + "\r\n\r\n", false);
        assertProblem(refused, 400);
        assertTrue(refused.contains("U+0022") && refused.contains("\"request_id\":"), refused);
        assertProblem(exchange("GET /api/v1/audit?since=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\n\r\n", false), 400);
    }

    @Test
    void aPathTheApiKnowsAskedWithAnotherMethodIs405NamingTheMethodsItTakes() throws IOException {
        String answer = exchange("DELETE /api/v1/fleet/config HTTP/1.1\r\nHost: x\r\n\r\n", false);
        assertProblem(answer, 405);
        java.util.regex.Matcher allow = java.util.regex.Pattern.compile("(?im)^allow: *([^\r\n]*)").matcher(answer);
        assertTrue(allow.find(), answer);
        assertTrue(java.util.Set.of(allow.group(1).split(", *")).containsAll(java.util.Set.of("GET", "PUT")), answer);
        assertTrue(answer.contains("method-not-allowed"), answer);
        assertProblem(exchange("PATCH /api/v1/config/db-01/versions HTTP/1.1\r\nHost: x\r\n\r\n", false), 405);
        // A path no route has stays a 404.
        assertProblem(exchange("DELETE /api/v1/no-such-thing HTTP/1.1\r\nHost: x\r\n\r\n", false), 404);
    }

    @Test
    void anIdHoldingAnEncodedSlashIsA404AndADotSegmentIsRefusedNotResolvedToAnotherRoute() throws IOException {
        String token = ApiClient.asAdmin(server.port()).token();
        String auth = "Authorization: Bearer " + token + "\r\n";
        // Routing decodes the id into two segments that no route has: not found, not a 405 that
        // names the methods of the route the raw path looked like.
        String slash = exchange("GET /api/v1/config/x1%2Fy HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", false);
        assertProblem(slash, 404);
        assertTrue(slash.contains("there is no GET /api/v1/config/x1/y"), slash);
        // Resolved, these would read another collector's document or reach another route.
        for (String path : new String[] {"/api/v1/config/x1/../hist", "/api/v1/config/x1/%2e%2E/hist",
                "/api/v1/groups/..", "/api/v1/./collectors", "/api/v1/config/x1/..;/hist", "/ui/..;a=b/api/v1/users",
                "/api/v1/config/hist;x=1", "/api/v1//collectors"}) {
            String answer = exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", false);
            assertProblem(answer, 400);
            assertTrue((answer.contains("give the path of the resource itself") || answer.contains("holds a ';'"))
                    && answer.contains("\"request_id\":"), path + ": " + answer);
        }
        // The console's paths are quoted whole in a 404.
        String console = exchange("GET /ui/no-such-page HTTP/1.1\r\nHost: x\r\n\r\n", false);
        assertTrue(console.contains("/ui/no-such-page"), console);
    }

    @Test
    void requestsHelidonRefusesBeforeRoutingAreProblemsToo() throws IOException {
        assertProblem(exchange("GET /api/v1/config/%zz HTTP/1.1\r\nHost: x\r\n\r\n", false), 400);
        assertProblem(exchange("GET /observe/health HTTP/1.1\r\n\r\n", false), 400);
        assertProblem(exchange("GET /observe/health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", false), 400);
        assertProblem(exchange("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n", false), 400);
        assertProblem(exchange("GET /api/v1/config/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", false), 414);
    }

    @Test
    void aClientStuckInsideItsHeadersIsCutOffAfterTheIdleTimeoutWhileWatchesLongerThanThatAreServed() throws Exception {
        ServerSettings base = TestServers.settings(database);
        LimitSettings shortIdle = base.limits().withIdleTimeout(Duration.ofSeconds(10));
        try (PgfleetServer small = PgfleetServer.start(base.withLimits(shortIdle))) {
            // A watch holds its connection silent for longer than the idle timeout: it is still answered.
            // It waits while the stuck connection below does, not after it.
            ApiClient admin = ApiClient.asAdmin(small.port());
            assertEquals(201, admin.createCollector("slow-watch").statusCode());
            CompletableFuture<HttpResponse<String>> watch =
                    CompletableFuture.supplyAsync(() -> admin.get("/api/v1/config/slow-watch?wait=15&after=0"));

            try (Socket stuck = new Socket("127.0.0.1", small.port())) {
                // The request line and one header, then nothing: a slowloris holding a connection slot.
                stuck.getOutputStream().write("GET /observe/health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                stuck.getOutputStream().flush();
                // The deadline is far above the 10 s idle timeout; without a cut-off the read never ends.
                stuck.setSoTimeout(60_000);
                long start = System.nanoTime();
                try {
                    assertEquals(-1, stuck.getInputStream().read(), "the server closes the connection without answering");
                } catch (SocketTimeoutException e) {
                    fail("a connection stuck inside its headers is still open after 60 s");
                } catch (java.net.SocketException e) {
                    // reset by the server: closed as well
                }
                assertTrue(System.nanoTime() - start >= Duration.ofSeconds(9).toNanos(), "not before the idle timeout");
            }

            assertEquals(304, watch.get(60, TimeUnit.SECONDS).statusCode());
        }
    }

    /** Everything the server answers to the bytes sent, up to its closing the connection. */
    private static String pipelined(String requests) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000); // a deadline for "the server answers at all", not a wait
            s.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aHeadIsAnsweredWithoutABodySoTheNextAnswerOnTheConnectionIsReadAsItself() throws IOException {
        String next = "GET /observe/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        for (String[] c : new String[][] {{"/observe/health/live", "200", ""}, {"/observe/health/ready", "200", ""},
                {"/observe/health", "200", ""}, {"/api/v1/collectors", "405", "POST, GET"},
                {"/api/v1/rollouts/7", "405", "GET"}, {"/nope", "404", ""}, {"/ui", "404", ""}, {"/ui/nope.js", "404", ""},
                {"/ui/", "200", ""}}) {
            String answer = pipelined("HEAD " + c[0] + " HTTP/1.1\r\nHost: x\r\n\r\n" + next);
            assertTrue(answer.startsWith("HTTP/1.1 " + c[1] + " "), c[0] + ": " + answer);
            String head = answer.substring(0, answer.indexOf("\r\n\r\n") + 4);
            if (!c[2].isEmpty()) {
                assertTrue(head.contains("\r\nAllow: " + c[2] + "\r\n"), c[0] + ": " + head);
            }
            assertTrue(answer.substring(head.length()).startsWith("HTTP/1.1 200 "),
                    "no body after the answer to HEAD " + c[0] + ", the next answer follows it: " + answer);
        }
    }
}
