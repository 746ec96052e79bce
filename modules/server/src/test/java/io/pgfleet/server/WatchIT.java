package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Long-poll watches: across instances, at scale without database connections, through a PostgreSQL restart. */
class WatchIT {

    private static CompletableFuture<HttpResponse<String>> watch(HttpClient http, int port, String token, String id,
                                                                  int after, int waitSeconds) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/config/" + id
                        + "?wait=" + waitSeconds + "&after=" + after)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(120)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertAnsweredWithVersion(CompletableFuture<HttpResponse<String>> f, int version) throws Exception {
        HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(Integer.toString(version), r.headers().firstValue("X-Config-Version").orElseThrow());
    }

    @Test
    void aPublishOnOneInstanceWakesAWatcherOnAnother() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings s = TestServers.settings(db);
        try (PgfleetServer a = PgfleetServer.start(s); PgfleetServer b = PgfleetServer.start(s)) {
            ApiClient onA = ApiClient.asAdmin(a.port());
            onA.createCollector("watched");
            onA.putToml("/api/v1/config/watched", aDocument().pushInterval(1).toml());
            HttpClient http = HttpClient.newHttpClient();

            HttpResponse<String> immediate = watch(http, b.port(), onA.token(), "watched", 0, 30).get(10, TimeUnit.SECONDS);
            assertEquals(200, immediate.statusCode(), "a newer version answers at once");

            CompletableFuture<HttpResponse<String>> onB = watch(http, b.port(), onA.token(), "watched", 1, 30);
            Thread.sleep(300); // let the watch reach the server before publishing; correctness does not depend on it
            assertFalse(onB.isDone(), "nothing newer yet: the watch is held");
            onA.putToml("/api/v1/config/watched", aDocument().pushInterval(2).toml());
            assertAnsweredWithVersion(onB, 2);

            HttpResponse<String> timedOut = watch(http, b.port(), onA.token(), "watched", 2, 1).get(10, TimeUnit.SECONDS);
            assertEquals(304, timedOut.statusCode(), "the hold ends without a change: 304");
        }
    }

    @Test
    void aThousandWatchersHoldNoDatabaseConnections() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings s = TestServers.settings(db);
        try (PgfleetServer server = PgfleetServer.start(s)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            admin.createCollector("popular");
            admin.putToml("/api/v1/config/popular", aDocument().pushInterval(1).toml());
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<CompletableFuture<HttpResponse<String>>> watchers = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                watchers.add(watch(http, server.port(), admin.token(), "popular", 1, 50));
            }
            // While they are held (a few seconds of the 50 s hold), count the server's connections to its database.
            int maxSeen = 0;
            for (int i = 0; i < 25; i++) {
                maxSeen = Math.max(maxSeen, serverConnections(db));
                Thread.sleep(200);
            }
            assertTrue(watchers.stream().noneMatch(CompletableFuture::isDone), "watchers are held");
            assertTrue(maxSeen <= s.poolSize() + 1, "pool (" + s.poolSize() + ") + one LISTEN connection at most, saw " + maxSeen);

            admin.putToml("/api/v1/config/popular", aDocument().pushInterval(2).toml());
            for (CompletableFuture<HttpResponse<String>> w : watchers) {
                assertAnsweredWithVersion(w, 2);
            }
        }
    }

    private static int serverConnections(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                     + " AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void watchersSurviveAPostgresRestart(@TempDir Path dir) throws Exception {
        int pgPort;
        try (ServerSocket sock = new ServerSocket(0)) {
            pgPort = sock.getLocalPort();
        }
        EmbeddedDatabase pg = EmbeddedDatabase.start(dir, pgPort);
        var dbSettings = pg.settings(8);
        ServerSettings s = ServerSettings.forDatabase(dbSettings.url(), dbSettings.user(), dbSettings.password(),
                dir.resolve("server")).withWarmupRounds(0);
        try (PgfleetServer server = PgfleetServer.start(s)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            admin.createCollector("resilient");
            admin.putToml("/api/v1/config/resilient", aDocument().pushInterval(1).toml());
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<CompletableFuture<HttpResponse<String>>> watchers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                watchers.add(watch(http, server.port(), admin.token(), "resilient", 1, 60));
            }
            Thread.sleep(500); // watchers reach the server
            pg.close();
            assertEquals(503, new ApiClient(server.port()).get("/observe/health").statusCode(),
                    "not ready while the database is away");
            assertEquals(503, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                            + "/observe/health/ready")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), "a probe asking with HEAD reads the same");
            pg = EmbeddedDatabase.start(dir, pgPort);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int status;
            do {
                status = admin.putToml("/api/v1/config/resilient", aDocument().pushInterval(2).toml()).statusCode();
                if (status != 201) {
                    Thread.sleep(250);
                }
            } while (status != 201 && System.nanoTime() < deadline);
            assertEquals(201, status, "publishing works again once PostgreSQL is back");
            for (CompletableFuture<HttpResponse<String>> w : watchers) {
                assertAnsweredWithVersion(w, 2);
            }
        } finally {
            pg.close();
        }
    }
}
