package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A held watch answers nobody who stopped being accepted while it was held: a revoked or
 * decommissioned collector, a disabled user. Their watches end in a 401, never in the document
 * published meanwhile, and at once: when the change is made, on the instance that made it and on
 * any other sharing the database, not when the hold would have ended.
 */
class WatchOfARevokedCallerIT {

    /** The hold the watches under test ask for: far longer than they may take to be answered. */
    private static final int LONG_HOLD_SECONDS = 60;
    /** Well below {@link #LONG_HOLD_SECONDS}: a watch answered within it was ended by the change, not by its hold. */
    private static final int PROMPTLY_SECONDS = 20;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final Pattern HELD = Pattern.compile("(?m)^pgfleet_watches_held(?:\\{[^}]*})? ([0-9.E]+)$");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aCollectorRevokedDuringItsWatchIsAnsweredUnauthorisedNotWithTheNextDocument() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"revoked-while-watching\"}");
        String id = agent.subject();
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml()).statusCode());

        CompletableFuture<HttpResponse<String>> watch = watch(agent.token(), id, 30);
        awaitHeldWatches(1);
        assertEquals(204, admin.postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml()).statusCode());

        assertUnauthorised(watch.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aViewerDisabledDuringAWatchIsAnsweredUnauthorisedNotWithTheNextDocument() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.createCollector("watched-by-a-viewer").statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/watched-by-a-viewer", aDocument().pushInterval(1).toml()).statusCode());
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"soon-disabled\",\"password\":\"a-long-password\",\"role\":\"viewer\"}").statusCode());
        ApiClient viewer = new ApiClient(SERVER.port());
        assertEquals(200, viewer.login("soon-disabled", "a-long-password").statusCode());

        CompletableFuture<HttpResponse<String>> watch = watch(viewer.token(), "watched-by-a-viewer", 30);
        awaitHeldWatches(1);
        assertEquals(200, admin.send(admin.request("/api/v1/users/soon-disabled").header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"enabled\":false}"))).statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/watched-by-a-viewer", aDocument().pushInterval(2).toml()).statusCode());

        assertUnauthorised(watch.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aCollectorDecommissionedDuringItsWatchIsAnsweredUnauthorisedAtOnce() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"decommissioned-while-watching\"}");
        String id = agent.subject();
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml()).statusCode());

        CompletableFuture<HttpResponse<String>> watch = watch(agent.token(), id, LONG_HOLD_SECONDS);
        awaitHeldWatches(1);
        assertEquals(204, admin.send(admin.request("/api/v1/collectors/" + id).DELETE()).statusCode());

        assertUnauthorised(watch.get(PROMPTLY_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void aCollectorRevokedDuringItsWatchIsAnsweredUnauthorisedAtOnceWithoutAnyPublish() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"revoked-while-waiting\"}");
        String id = agent.subject();
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml()).statusCode());

        CompletableFuture<HttpResponse<String>> watch = watch(agent.token(), id, LONG_HOLD_SECONDS);
        awaitHeldWatches(1);
        assertEquals(204, admin.postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());

        assertUnauthorised(watch.get(PROMPTLY_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void aUserDisabledDuringItsWatchIsAnsweredUnauthorisedAtOnceWithoutAnyPublish() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.createCollector("watched-by-an-operator").statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/watched-by-an-operator", aDocument().pushInterval(1).toml())
                .statusCode());
        ApiClient operator = SERVER.newUser("disabled-while-waiting", "operator");

        CompletableFuture<HttpResponse<String>> watch = watch(operator.token(), "watched-by-an-operator", LONG_HOLD_SECONDS);
        awaitHeldWatches(1);
        disable(admin, "disabled-while-waiting");

        assertUnauthorised(watch.get(PROMPTLY_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void aCollectorRevokedAndAUserDisabledOnOneInstanceAreAnsweredUnauthorisedAtOnceOnAnother() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"revoked-elsewhere\"}");
        String id = agent.subject();
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml()).statusCode());
        ApiClient viewer = SERVER.newUser("disabled-elsewhere", "viewer");

        try (PgfleetServer other = TestServers.start(SERVER.database())) {
            // Both callers checked on the other instance, which remembers them as active.
            CompletableFuture<HttpResponse<String>> agentsWatch = watch(other.port(), agent.token(), id, LONG_HOLD_SECONDS);
            CompletableFuture<HttpResponse<String>> viewersWatch = watch(other.port(), viewer.token(), id, LONG_HOLD_SECONDS);
            awaitHeldWatches(other.port(), 2);

            assertEquals(204, admin.postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
            disable(admin, "disabled-elsewhere");

            assertUnauthorised(agentsWatch.get(PROMPTLY_SECONDS, TimeUnit.SECONDS));
            assertUnauthorised(viewersWatch.get(PROMPTLY_SECONDS, TimeUnit.SECONDS));
        }
    }

    @Test
    void aLogoutEndsTheWatchesOfItsSessionOnEveryInstanceWhileTheUsersOtherSessionWatchesOn() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.createCollector("watched-in-two-sessions").statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/watched-in-two-sessions", aDocument().pushInterval(1).toml())
                .statusCode());
        ApiClient ending = SERVER.newUser("two-sessions", "viewer");
        String endingRefresh = ApiClient.field(ending.login("two-sessions", "a-long-password").body(), "refresh_token");
        ApiClient goingOn = new ApiClient(SERVER.port());
        assertEquals(200, goingOn.login("two-sessions", "a-long-password").statusCode());

        try (PgfleetServer other = TestServers.start(SERVER.database())) {
            CompletableFuture<HttpResponse<String>> endingHere = watch(ending.token(), "watched-in-two-sessions",
                    LONG_HOLD_SECONDS);
            CompletableFuture<HttpResponse<String>> goingOnHere = watch(goingOn.token(), "watched-in-two-sessions",
                    LONG_HOLD_SECONDS);
            CompletableFuture<HttpResponse<String>> endingThere = watch(other.port(), ending.token(),
                    "watched-in-two-sessions", LONG_HOLD_SECONDS);
            CompletableFuture<HttpResponse<String>> goingOnThere = watch(other.port(), goingOn.token(),
                    "watched-in-two-sessions", LONG_HOLD_SECONDS);
            awaitHeldWatches(2);
            awaitHeldWatches(other.port(), 2);

            assertEquals(204, new ApiClient(SERVER.port()).postJson("/api/v1/auth/logout",
                    "{\"refresh_token\":\"" + endingRefresh + "\"}").statusCode());

            assertUnauthorised(endingHere.get(PROMPTLY_SECONDS, TimeUnit.SECONDS));
            assertUnauthorised(endingThere.get(PROMPTLY_SECONDS, TimeUnit.SECONDS));
            assertFalse(goingOnHere.isDone() || goingOnThere.isDone(), "the other session's watches are still held");
            HttpResponse<String> published = admin.putToml("/api/v1/config/watched-in-two-sessions",
                    aDocument().pushInterval(2).toml());
            assertEquals(201, published.statusCode());
            for (CompletableFuture<HttpResponse<String>> held : java.util.List.of(goingOnHere, goingOnThere)) {
                HttpResponse<String> answer = held.get(PROMPTLY_SECONDS, TimeUnit.SECONDS);
                assertEquals(200, answer.statusCode(), answer.body());
                assertEquals("2", answer.headers().firstValue("X-Config-Version").orElseThrow(),
                        "woken by the publish, not by the other session's logout");
            }
        }
    }

    private static void disable(ApiClient admin, String name) {
        assertEquals(200, admin.send(admin.request("/api/v1/users/" + name).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"enabled\":false}"))).statusCode());
    }

    private static void assertUnauthorised(HttpResponse<String> answer) {
        assertEquals(401, answer.statusCode(), answer.body());
        assertTrue(answer.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"),
                "a 401 like any other request's: " + answer.headers().map());
        assertTrue(answer.headers().firstValue("X-Config-Version").isEmpty(), "nothing of the configuration is sent");
        assertFalse(answer.body().contains("push_interval"), answer.body());
    }

    private CompletableFuture<HttpResponse<String>> watch(String token, String id, int waitSeconds) {
        return watch(SERVER.port(), token, id, waitSeconds);
    }

    private CompletableFuture<HttpResponse<String>> watch(int port, String token, String id, int waitSeconds) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/config/"
                        + id + "?wait=" + waitSeconds + "&after=1")).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(120)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the server holds this many watches: the watch under test began and was checked. */
    private static void awaitHeldWatches(int expected) throws InterruptedException {
        awaitHeldWatches(SERVER.port(), expected);
    }

    /** Waits until the server on a port holds this many watches. */
    private static void awaitHeldWatches(int port, int expected) throws InterruptedException {
        ApiClient anonymous = new ApiClient(port);
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
