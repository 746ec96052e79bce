package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server killed with SIGKILL in the middle of a publish burst: the next start comes up healthy
 * by itself (its orphaned PostgreSQL stopped, crash recovery done) with every acknowledged version.
 */
class CrashRestartIT {

    private static final Map<String, String> ENV = Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD);

    @Test
    void aServerKilledDuringPublishesRestartsWithEveryAcknowledgedVersion(@TempDir Path dataDir) throws Exception {
        Map<Integer, String> acknowledged = new ConcurrentHashMap<>();
        try {
            ServerProcess first = ServerProcess.start(dataDir, ENV);
            ApiClient admin = ApiClient.asAdmin(first.port());
            assertEquals(201, admin.createCollector("db-01").statusCode());
            CountDownLatch enough = new CountDownLatch(30);
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                publishers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; ; i++) {
                        String doc = aDocument().pushInterval(1 + thread * 900 + i % 900).toml();
                        HttpResponse<String> r;
                        try {
                            r = admin.putToml("/api/v1/config/db-01", doc);
                        } catch (UncheckedIOException | IllegalStateException e) {
                            return; // the server is gone
                        }
                        if (r.statusCode() == 201) {
                            acknowledged.put(Integer.parseInt(r.headers().firstValue("X-Config-Version").orElseThrow()), doc);
                            enough.countDown();
                        }
                    }
                }));
            }
            assertTrue(enough.await(120, TimeUnit.SECONDS), "the burst got going");
            // What passes the orphaned PostgreSQL's log on to the server: nothing reads it once the server is gone.
            List<ProcessHandle> relays = ProcessHandle.of(first.pid()).orElseThrow().descendants()
                    .filter(p -> p.info().command().orElse("").endsWith("/cat")).toList();
            assertFalse(relays.isEmpty(), "PostgreSQL's log is passed on by cat");
            first.kill();
            for (Thread p : publishers) {
                p.join(TimeUnit.SECONDS.toMillis(60));
            }

            try (ServerProcess second = ServerProcess.start(dataDir, ENV)) {
                ApiClient api = ApiClient.asAdmin(second.port());
                // The orphan stopped, its relay is gone with it: nothing of the killed server stays behind.
                for (ProcessHandle relay : relays) {
                    relay.onExit().get(30, TimeUnit.SECONDS); // a hang, not a speed: it ends with its last writer
                }
                HttpResponse<String> health = api.get("/observe/health");
                assertEquals(200, health.statusCode(), health.body());
                HttpResponse<String> latest = api.get("/api/v1/config/db-01");
                assertEquals(200, latest.statusCode(), latest.body());
                int newest = Integer.parseInt(latest.headers().firstValue("X-Config-Version").orElseThrow());
                int highestAcknowledged = acknowledged.keySet().stream().max(Integer::compare).orElseThrow();
                assertTrue(newest >= highestAcknowledged, newest + " < acknowledged " + highestAcknowledged);
                for (int v = 1; v <= newest; v++) {
                    HttpResponse<String> version = api.get("/api/v1/config/db-01/versions/" + v);
                    assertEquals(200, version.statusCode(), "version " + v + " of 1.." + newest + " is missing");
                    if (acknowledged.containsKey(v)) {
                        assertEquals(acknowledged.get(v), version.body(), "acknowledged version " + v);
                    }
                }
                HttpResponse<String> next = api.putToml("/api/v1/config/db-01", aDocument().pushInterval(3600).toml());
                assertEquals(201, next.statusCode(), next.body());
                assertEquals(Integer.toString(newest + 1), next.headers().firstValue("X-Config-Version").orElseThrow());
            }
        } finally {
            ServerProcess.stopPostgresLeftIn(dataDir.resolve("postgres"));
        }
    }
}
