package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Instances whose {@code LISTEN} connections are lost: one that cannot make it again at once (the
 * database refuses new connections: its connection limit reached, {@code ALLOW_CONNECTIONS false})
 * while its pool still works hears of no other instance's publish, so it must not answer from what
 * it remembered; every backend terminated at once ({@code pg_terminate_backend}) costs at most a
 * {@code 503} and no watcher on either instance misses what is published right after.
 */
class LostListenConnectionIT {

    @Test
    void anInstanceThatCannotListenAnswersWhatAnotherInstancePublishedMeanwhileAndListensAgainLater() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings s = TestServers.settings(db);
        try (PgfleetServer a = PgfleetServer.start(s); PgfleetServer b = PgfleetServer.start(s);
             Connection control = db.connect(); Statement sql = control.createStatement();
             // A database cannot refuse connections from a session of its own: this one says so from another.
             Connection other = DriverManager.getConnection(elsewhere(db.url()), db.user(), db.password());
             Statement admin = other.createStatement()) {
            ApiClient onA = ApiClient.asAdmin(a.port());
            ApiClient onB = ApiClient.asAdmin(b.port());
            onA.createCollector("cut-off");
            assertEquals(201, onA.putToml("/api/v1/config/cut-off", aDocument().pushInterval(1).toml()).statusCode());
            assertEquals("1", version(onB.get("/api/v1/config/cut-off")), "B remembers version 1");
            String database = control.getCatalog();
            try {
                admin.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
                assertEquals(2, terminateListenConnections(sql), "one LISTEN connection per instance");
                awaitListening(b.port(), false);

                assertEquals(201, onA.putToml("/api/v1/config/cut-off", aDocument().pushInterval(2).toml()).statusCode());
                assertEquals("2", version(onB.get("/api/v1/config/cut-off")),
                        "B answers what A published while B heard nothing, not what it remembered");
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> watched = watch(http, b.port(), onB.token(), 1, 5).get(20, TimeUnit.SECONDS);
                assertEquals(200, watched.statusCode(), "a watch after version 1 is answered at once with version 2");
                assertEquals("2", version(watched));

                CompletableFuture<HttpResponse<String>> held = watch(http, b.port(), onB.token(), 2, 2);
                Thread.sleep(500); // the watch reaches B before the publish; the answer does not depend on it
                assertEquals(201, onA.putToml("/api/v1/config/cut-off", aDocument().pushInterval(3).toml()).statusCode());
                HttpResponse<String> atItsEnd = held.get(20, TimeUnit.SECONDS);
                assertEquals(200, atItsEnd.statusCode(), "a watch held while B heard nothing answers at the end of"
                        + " its hold with what is current, not 304 with the version it started from");
                assertEquals("3", version(atItsEnd));
            } finally {
                admin.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
            }
            awaitListening(b.port(), true);
            CompletableFuture<HttpResponse<String>> heldAgain =
                    watch(HttpClient.newHttpClient(), b.port(), onB.token(), 3, 30);
            Thread.sleep(300); // as above
            assertEquals(201, onA.putToml("/api/v1/config/cut-off", aDocument().pushInterval(4).toml()).statusCode());
            HttpResponse<String> woken = heldAgain.get(10, TimeUnit.SECONDS);
            assertEquals("4", version(woken), "listening again, B's watches wake on A's publishes");
        }
    }

    @Test
    void everyBackendTerminatedWhileTwoInstancesServeLosesNoPublishForTheWatchersOfEither() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings s = TestServers.settings(db);
        try (PgfleetServer a = PgfleetServer.start(s); PgfleetServer b = PgfleetServer.start(s);
             Connection control = db.connect(); Statement sql = control.createStatement()) {
            ApiClient onA = ApiClient.asAdmin(a.port());
            ApiClient onB = ApiClient.asAdmin(b.port());
            onA.createCollector("cut-off");
            assertEquals(201, onA.putToml("/api/v1/config/cut-off", aDocument().pushInterval(1).toml()).statusCode());
            HttpClient http = HttpClient.newHttpClient();
            CompletableFuture<HttpResponse<String>> onBoth = watch(http, b.port(), onB.token(), 1, 30);
            CompletableFuture<HttpResponse<String>> onAToo = watch(http, a.port(), onA.token(), 1, 30);
            Thread.sleep(300); // the watches reach their servers; the answers do not depend on it

            try (ResultSet r = sql.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
                r.next();
                assertTrue(r.getInt(1) >= 4, "both pools and both LISTEN connections");
            }
            // Published through B: A's watcher hears of it only through A's LISTEN connection, made again.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int status;
            do {
                status = onB.putToml("/api/v1/config/cut-off", aDocument().pushInterval(2).toml()).statusCode();
                assertTrue(status == 201 || status == 503, "a lost connection is 503 at worst, got " + status);
            } while (status != 201 && System.nanoTime() < deadline);
            assertEquals(201, status);
            assertEquals("2", version(onBoth.get(20, TimeUnit.SECONDS)));
            assertEquals("2", version(onAToo.get(20, TimeUnit.SECONDS)), "A's watcher learns of B's publish");
            assertEquals("2", version(onA.get("/api/v1/config/cut-off")));
        }
    }

    /** The same server's {@code postgres} database. */
    private static String elsewhere(String url) {
        int q = url.indexOf('?');
        String head = q < 0 ? url : url.substring(0, q);
        return head.substring(0, head.lastIndexOf('/') + 1) + "postgres" + (q < 0 ? "" : url.substring(q));
    }

    private static String version(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return r.headers().firstValue("X-Config-Version").orElseThrow();
    }

    private static CompletableFuture<HttpResponse<String>> watch(HttpClient http, int port, String token, int after,
                                                                  int waitSeconds) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/config/cut-off?wait=" + waitSeconds + "&after=" + after))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int terminateListenConnections(Statement sql) throws Exception {
        try (ResultSet r = sql.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND application_name = 'pgfleet listen'")) {
            r.next();
            return r.getInt(1);
        }
    }

    private static void awaitListening(int port, boolean listening) throws InterruptedException {
        ApiClient anonymous = new ApiClient(port);
        String expected = "pgfleet_listen_connected " + (listening ? "1.0" : "0.0");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!anonymous.get("/observe/metrics?name%5B%5D=pgfleet_listen_connected").body().contains(expected)) {
            assertTrue(System.nanoTime() < deadline, "the LISTEN connection is " + (listening ? "up" : "down"));
            Thread.sleep(100); // polling interval of a condition with a deadline
        }
    }
}
