package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A collector holds at most 4 watches, a fifth ends its oldest (users: the connection limit only); the listener caps open connections. */
class ConnectionLimitsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final Pattern HELD = Pattern.compile("(?m)^pgfleet_watches_held(?:\\{[^}]*})? ([0-9.E]+)$");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();



    @Test
    void aCollectorsFifthWatchEndsItsOldestWhileUsersAreNotLimitedSo() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        ApiClient anonymous = new ApiClient(SERVER.port());
        HttpResponse<String> reg = anonymous.send(anonymous.request("/api/v1/collectors/register")
                .header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"limited\",\"hostname\":\"h\"}")));
        assertEquals(201, reg.statusCode(), reg.body());
        String id = ApiClient.field(reg.body(), "collector_id");
        String collectorToken = ApiClient.field(reg.body(), "access_token");
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml()).statusCode());

        // The oldest first, alone, so that it is the oldest: like an agent's watch whose connection died.
        CompletableFuture<HttpResponse<String>> oldest = watch(collectorToken, id, 30);
        awaitHeldWatches(1);
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(watch(collectorToken, id, 30));
        }
        for (int i = 0; i < 6; i++) {
            held.add(watch(admin.token(), id, 30));
        }
        awaitHeldWatches(10);

        CompletableFuture<HttpResponse<String>> fifth = watch(collectorToken, id, 30);
        HttpResponse<String> ended = oldest.get(10, TimeUnit.SECONDS);
        assertEquals(304, ended.statusCode(), "the oldest watch answers at once, as at its deadline: " + ended.body());
        assertEquals("1", ended.headers().firstValue("X-Config-Version").orElse(""));
        awaitHeldWatches(10);
        assertFalse(fifth.isDone(), "the fifth watch is held, not refused");
        held.add(fifth);

        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml()).statusCode());
        for (CompletableFuture<HttpResponse<String>> w : held) {
            assertEquals(200, w.get(30, TimeUnit.SECONDS).statusCode(), "every held watch answered by the publish");
        }
        awaitHeldWatches(0);
        assertEquals(200, watch(collectorToken, id, 1).get(30, TimeUnit.SECONDS).statusCode(),
                "version 2 is newer than 1: answered at once");
    }

    @Test
    void connectionsBeyondTheMaximumWaitUntilOneCloses() throws Exception {
        ServerSettings s = TestServers.settings(SERVER.database());
        try (PgfleetServer small = PgfleetServer.start(s.withLimits(s.limits().withMaxConnections(2)));
             Socket first = new Socket("127.0.0.1", small.port());
             Socket second = new Socket("127.0.0.1", small.port())) {
            CompletableFuture<HttpResponse<String>> third = http.sendAsync(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + small.port() + "/observe/health/live")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            // Not an event that can be awaited: the third connection must NOT be served while two are open.
            Thread.sleep(750);
            assertFalse(third.isDone(), "a third connection is not served while the maximum of two is open");
            first.close();
            assertEquals(200, third.get(30, TimeUnit.SECONDS).statusCode(), "served once a connection closes");
        }
    }

    private CompletableFuture<HttpResponse<String>> watch(String token, String id, int waitSeconds) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + SERVER.port() + "/api/v1/config/"
                        + id + "?wait=" + waitSeconds + "&after=1")).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(120)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitHeldWatches(int expected) throws InterruptedException {
        ApiClient anonymous = new ApiClient(SERVER.port());
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
}
