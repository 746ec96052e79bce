package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A watch whose {@code after} is ahead of the server's latest revision: after a restore from an older
 * backup it is answered at once with what the server has; on an instance that has yet to hear of a
 * revision another instance committed, it is held as usual and never answered the older revision.
 */
class RestoredWatchIT {

    /** Far above any hold these tests ask for: a watch answered within it was not held. */
    private static final int HOLD_SECONDS = 50;

    private static CompletableFuture<HttpResponse<String>> watch(int port, String token, String id, int after,
                                                                  int waitSeconds, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/config/" + id
                + "?wait=" + waitSeconds + "&after=" + after)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(120)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HttpClient.newHttpClient().sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Answered well before the hold it asked for would have ended. */
    private static HttpResponse<String> atOnce(CompletableFuture<HttpResponse<String>> watch) throws Exception {
        return watch.get(HOLD_SECONDS / 2, TimeUnit.SECONDS);
    }

    private static String version(HttpResponse<String> r) {
        return r.headers().firstValue("X-Config-Version").orElse("none");
    }

    private static String etag(HttpResponse<String> r) {
        return r.headers().firstValue("ETag").orElseThrow();
    }

    private static int command(Path dataDir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = DataCommands.run(args, Map.of("PGFLEET_DATA_DIR", dataDir.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
        return exit;
    }

    private static PgfleetServer start(Path dataDir) {
        return PgfleetServer.start(new ServerSettings("127.0.0.1", 0, dataDir, Optional.empty(), "postgres", "", 4,
                Optional.of(ServerSettings.TEST_ADMIN_PASSWORD), Optional.of(ServerSettings.TEST_REGISTRATION_SECRET),
                Duration.ofMinutes(15), TlsSettings.none()));
    }

    @Test
    void afterARestoreAWatchAheadOfTheServerIsAnsweredAtOnceWithWhatItHasAndThenFollowsItsNewHistory(
            @TempDir Path dataDir, @TempDir Path backups) throws Exception {
        Path backup = backups.resolve("pgfleet.backup");
        String id = "restored";
        String tagOfTheLostVersion3;
        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            admin.createCollector(id);
            admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(10).toml());
            admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(20).toml());
            command(dataDir, "backup", backup.toString());
            tagOfTheLostVersion3 = etag(admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(30).toml()));
            assertEquals("4", version(admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(40).toml())));
        }
        command(dataDir, "restore", backup.toString());

        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            String token = admin.token();
            int port = server.port();

            HttpResponse<String> ahead = atOnce(watch(port, token, id, 4, HOLD_SECONDS));
            assertEquals(200, ahead.statusCode(), ahead.body());
            assertEquals("2", version(ahead), "the server's latest, although older than the client's");
            assertEquals(aDocument().pushInterval(20).toml(), ahead.body());
            HttpResponse<String> farAhead = atOnce(watch(port, token, id, Integer.MAX_VALUE, HOLD_SECONDS));
            assertEquals(200, farAhead.statusCode());
            assertEquals("2", version(farAhead));
            HttpResponse<String> aheadAndHasIt = atOnce(watch(port, token, id, 4, HOLD_SECONDS, "If-None-Match", etag(ahead)));
            assertEquals(304, aheadAndHasIt.statusCode(), "a client that has the latest under its number needs no body");
            assertEquals("2", version(aheadAndHasIt));

            HttpResponse<String> equal = watch(port, token, id, 2, 1).get(30, TimeUnit.SECONDS);
            assertEquals(304, equal.statusCode(), "a client that has the latest is held as before");
            assertEquals("2", version(equal));

            CompletableFuture<HttpResponse<String>> held = watch(port, token, id, 2, HOLD_SECONDS);
            HttpResponse<String> published = admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(50).toml());
            assertEquals("3", version(published), "the restored history goes on from its own latest version");
            HttpResponse<String> next = atOnce(held);
            assertEquals(200, next.statusCode());
            assertEquals("3", version(next));
            assertEquals(aDocument().pushInterval(50).toml(), next.body());
            assertNotEquals(tagOfTheLostVersion3, etag(next), "the reused number names another document, and its tag says so");

            HttpResponse<String> stillAhead = atOnce(watch(port, token, id, 4, HOLD_SECONDS));
            assertEquals(200, stillAhead.statusCode());
            assertEquals("3", version(stillAhead));
        }
    }

    @Test
    void anInstanceThatHasNotHeardOfACommittedRevisionHoldsAClientThatSawItAndNeverAnswersTheOlderOne() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings s = TestServers.settings(db);
        String id = "unheard";
        try (PgfleetServer a = PgfleetServer.start(s); PgfleetServer b = PgfleetServer.start(s)) {
            ApiClient onA = ApiClient.asAdmin(a.port());
            onA.createCollector(id);
            onA.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml());
            HttpResponse<String> first = atOnce(watch(b.port(), onA.token(), id, 0, HOLD_SECONDS));
            assertEquals("1", version(first), "instance b remembers revision 1");

            // Revision 2 committed without its announcement: as if instance b had yet to hear of it.
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                assertEquals(1, st.executeUpdate("UPDATE effective_configs SET revision = 2 WHERE collector_id = '" + id + "'"));
            }

            HttpResponse<String> sawTwo = watch(b.port(), onA.token(), id, 2, 1).get(30, TimeUnit.SECONDS);
            assertEquals(304, sawTwo.statusCode(), "held, and never answered with revision 1: " + sawTwo.body());
            assertEquals("2", version(sawTwo));

            CompletableFuture<HttpResponse<String>> heldOnB = watch(b.port(), onA.token(), id, 2, HOLD_SECONDS);
            onA.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml());
            HttpResponse<String> three = atOnce(heldOnB);
            assertEquals(200, three.statusCode());
            assertEquals("3", version(three));

            HttpResponse<String> aheadOfBoth = atOnce(watch(b.port(), onA.token(), id, 9, HOLD_SECONDS));
            assertEquals(200, aheadOfBoth.statusCode());
            assertEquals("3", version(aheadOfBoth));
            assertFalse(aheadOfBoth.body().isEmpty());
        }
    }
}
