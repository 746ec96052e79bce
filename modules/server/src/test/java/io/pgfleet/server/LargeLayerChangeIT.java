package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fleet-layer change reaching more collectors than one statement writes (the effective
 * revisions go to the database in batches of 2,000): every collector gets its new revision,
 * stored and announced exactly once to other instances, and its watch answers. Its own database,
 * seeded with SQL so that the test stays short.
 */
class LargeLayerChangeIT {

    /** Two full batches and one more collector. */
    private static final int COLLECTORS = 4001;

    private static TestDatabase database;
    private static PgfleetServer server;
    private static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        database = TestPostgres.newDatabase();
        server = TestServers.start(database);
        api = ApiClient.asAdmin(server.port());
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO collectors (id, name, labels, created_at, latest_version)"
                    + " SELECT 'big-' || lpad(g::text, 5, '0'), 'big-' || g, '{\"env\":\"big\"}'::jsonb, now(), 1"
                    + " FROM generate_series(0, " + (COLLECTORS - 1) + ") g");
            s.executeUpdate("INSERT INTO config_revisions (collector_id, version, document, content_hash, created_at,"
                    + " created_by, source) SELECT id, 1, d, encode(sha256(convert_to(d, 'UTF8')), 'hex'), now(), 'test', 'put'"
                    + " FROM (SELECT id, E'[postgres]\\nport = ' || (5432 + right(id, 1)::int) || E'\\n' AS d"
                    + " FROM collectors WHERE id LIKE 'big-%') x");
            s.executeUpdate("INSERT INTO effective_configs (collector_id, revision, document, content_hash, sources,"
                    + " created_at) SELECT collector_id, version, document, content_hash, 'collector@' || version,"
                    + " created_at FROM config_revisions WHERE collector_id LIKE 'big-%'");
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyCollectorOfAFleetChangeBeyondOneBatchIsStoredAnnouncedOnceAndWoken() throws Exception {
        String last = String.format("big-%05d", COLLECTORS - 1);
        CompletableFuture<HttpResponse<String>> watch = CompletableFuture.supplyAsync(
                () -> api.get("/api/v1/config/" + last + "?wait=30&after=1"));
        try (Connection listen = database.connect(); Statement s = listen.createStatement()) {
            s.execute("LISTEN pgfleet_effective");
            s.execute("LISTEN pgfleet_sent_at");
            HttpResponse<String> put = api.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 17\n");
            assertTrue(put.statusCode() == 200 || put.statusCode() == 201, put.statusCode() + " " + put.body());

            Map<String, Integer> announced = new HashMap<>();
            int probes = 0;
            int extra = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            // Notifications of one transaction arrive together; after them, wait a little more for any surplus.
            while (System.nanoTime() < deadline && (announced.size() < COLLECTORS || extra++ < 3)) {
                PGNotification[] notes = listen.unwrap(PGConnection.class).getNotifications(200);
                for (PGNotification n : notes == null ? new PGNotification[0] : notes) {
                    if (n.getName().equals("pgfleet_sent_at")) {
                        probes++;
                        continue;
                    }
                    String payload = n.getParameter();
                    assertEquals("2", payload.substring(payload.lastIndexOf(':') + 1), payload);
                    announced.merge(payload.substring(0, payload.lastIndexOf(':')), 1, Integer::sum);
                }
            }
            assertEquals(COLLECTORS, announced.size(), "every collector is announced");
            assertTrue(announced.values().stream().allMatch(n -> n == 1), "each collector is announced once");
            assertEquals(1, probes, "one lag probe per change");

            try (ResultSet r = s.executeQuery("SELECT count(*) FILTER (WHERE revision = 2 AND sources LIKE 'fleet@1, collector@1'"
                    + " AND document LIKE '%push_interval = 17%'), count(*) FROM effective_configs WHERE collector_id LIKE 'big-%'")) {
                r.next();
                assertEquals(COLLECTORS, r.getInt(2));
                assertEquals(COLLECTORS, r.getInt(1), "every effective revision is stored with the fleet layer");
            }
        }
        HttpResponse<String> answer = watch.get();
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals("2", answer.headers().firstValue("X-Config-Version").orElse(""));
        assertTrue(answer.body().contains("push_interval = 17"), answer.body());
    }
}
