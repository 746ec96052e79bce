package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent whose every collector is off holds nothing to push, and the server counts only pushes and
 * apply reports as hearing from it (not its pulls and watches). It sends an empty push once it has
 * been silent for its longest interval, so the fleet view does not call it stale while it runs well.
 * A real server, a real agent process and real PostgreSQL.
 */
class AgentWithNothingToPushIT {

    private static final Duration SOON = Duration.ofSeconds(60);

    /** Every collector off; heard from at least every 10 s (its pull interval), stale after 30 s of silence. */
    private static final String NOTHING_ENABLED = """
            [collector]
            config_pull_interval = 10
            push_interval = 1
            [collectors.pg_stats]
            enabled = false
            [collectors.pg_connections]
            enabled = false
            [collectors.pg_locks]
            enabled = false
            [collectors.sysstat]
            enabled = false
            [collectors.disk_usage]
            enabled = false
            [collectors.pg_stat_statements]
            enabled = false
            """;

    @TempDir
    Path dir;
    private TestDatabase db;
    private PgfleetServer server;
    private ApiClient admin;

    @BeforeEach
    void startServer() throws Exception {
        db = TestPostgres.newDatabase();
        server = PgfleetServer.start(TestServers.onFreePort(db, dir.resolve("server")));
        admin = ApiClient.asAdmin(server.port());
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anAgentWithEveryCollectorOffIsHeardFromByEmptyPushesAndIsNotStale() throws Exception {
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            int line = agent.await("registered as collector ", SOON);
            String id = agent.output().lines().skip(line).findFirst().orElseThrow()
                    .replaceAll(".*registered as collector ", "").trim();
            HttpResponse<String> published = admin.putToml("/api/v1/config/" + id, NOTHING_ENABLED);
            assertEquals(201, published.statusCode(), published.body());
            agent.await("applied configuration version 1 ", SOON);

            // What it collected with the defaults before version 1 is pushed once; then it has nothing,
            // and is heard from by an empty push.
            await(() -> emptyBatches(id) >= 1, "an empty push stored", agent);
            long samples = samples(id);

            // Silent for three of its longest intervals, as far as the server knows: stale, until the
            // next empty push.
            lastHeardFrom(id, 31);
            assertTrue(stale(id), "stale by its last contact");
            int before = emptyBatches(id);
            await(() -> !stale(id), "heard from again, not stale", agent);
            assertTrue(emptyBatches(id) > before, "by an empty push");
            assertEquals(samples, samples(id), "nothing collected, nothing stored");
            assertEquals(0, agent.count("push failed|refused an empty push"), agent.output());
        }
    }

    private boolean stale(String id) {
        HttpResponse<String> r = admin.get("/api/v1/collectors/" + id);
        assertEquals(200, r.statusCode(), r.body());
        return RolloutFleet.json(r.body()).getBoolean("stale");
    }

    private void lastHeardFrom(String id, int secondsAgo) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "UPDATE collectors SET last_seen_at = now() - make_interval(secs => ?) WHERE id = ?")) {
            ps.setInt(1, secondsAgo);
            ps.setString(2, id);
            assertEquals(1, ps.executeUpdate());
        }
    }

    private int emptyBatches(String id) {
        return (int) count("SELECT count(*) FROM sample_batches WHERE collector_id = ? AND sample_count = 0", id);
    }

    private long samples(String id) {
        return count("SELECT count(*) FROM samples WHERE collector_id = ?", id);
    }

    private long count(String sql, String id) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits (polling the server's database and API, not sleeping blindly) until the condition holds. */
    private static void await(BooleanSupplier condition, String what, AgentProcess agent) throws InterruptedException {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " within " + SOON + "; the agent said:\n" + agent.output());
            }
            Thread.sleep(200);
        }
    }
}
