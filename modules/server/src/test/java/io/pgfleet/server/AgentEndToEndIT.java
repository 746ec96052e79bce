package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real server, a real agent process and real PostgreSQL: the agent monitors the test database
 * itself and hot-reloads what the operator publishes.
 */
class AgentEndToEndIT {

    private static final Duration SOON = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private TestDatabase db;
    private ServerSettings settings;
    private PgfleetServer server;
    private ApiClient admin;

    @BeforeEach
    void startServer() throws Exception {
        db = TestPostgres.newDatabase();
        settings = TestServers.onFreePort(db, dir.resolve("server"));
        server = PgfleetServer.start(settings);
        admin = ApiClient.asAdmin(server.port());
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private String register(AgentProcess agent) throws InterruptedException {
        int line = agent.await("registered as collector ", SOON);
        return agent.output().lines().skip(line).findFirst().orElseThrow().replaceAll(".*registered as collector ", "").trim();
    }

    private void publish(String id, String toml) {
        var r = admin.putToml("/api/v1/config/" + id, toml);
        assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.body());
    }

    private List<Instant> sampleTimes(String id, String metric) throws Exception {
        List<Instant> out = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT DISTINCT ts FROM samples WHERE collector_id = ? AND name = ? ORDER BY ts")) {
            ps.setString(1, id);
            ps.setString(2, metric);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getTimestamp(1).toInstant());
                }
            }
        }
        return out;
    }

    /** Waits (polling the database, not sleeping blindly) until the stored samples satisfy a condition. */
    private List<Instant> awaitSamples(String id, String metric, Predicate<List<Instant>> done) throws Exception {
        long deadline = System.nanoTime() + SOON.toNanos();
        List<Instant> times;
        do {
            times = sampleTimes(id, metric);
            if (done.test(times)) {
                return times;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(metric + " samples never satisfied the condition; got " + times);
    }

    private static long since(List<Instant> times, Instant from) {
        return times.stream().filter(t -> !t.isBefore(from)).count();
    }

    @Test
    void pullsAtStartUpAndHotReloadsIntervalsWithoutRestartOrGap() throws Exception {
        String id;
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            id = register(agent);
            // Version 1 is published after the agent started; watch is on, pull interval 300 s.
            publish(id, monitoring(db).pgStats(true, 60).sysstatEvery(1).toml());
            agent.await("applied configuration version 1 ", SOON);
            long pid = agent.pid();
            awaitSamples(id, "pg_stat_database_xact_commit", t -> t.size() >= 1);
            awaitSamples(id, "node_load1", t -> t.size() >= 3);

            Instant change = Instant.now();
            publish(id, monitoring(db).pgStats(true, 2).sysstatEvery(1).toml());
            agent.await("applied configuration version 2 without a restart: pg_stats now every 2 s", SOON);
            List<Instant> fast = awaitSamples(id, "pg_stat_database_xact_commit", t -> since(t, change) >= 4);
            assertTrue(agent.alive());
            assertEquals(pid, agent.pid(), "same process: no restart");
            List<Instant> after = fast.stream().filter(t -> !t.isBefore(change)).toList();
            for (int i = 1; i < after.size(); i++) {
                long gap = Duration.between(after.get(i - 1), after.get(i)).toMillis();
                // Fixed-rate ticks of 2 s; the bounds only absorb scheduling noise on a busy machine.
                assertTrue(gap >= 1000 && gap <= 3000, "pg_stats every ~2 s, got a gap of " + gap + " ms in " + after);
            }
            // sysstat (every 1 s) kept running while the configuration was pulled and applied.
            List<Instant> host = sampleTimes(id, "node_load1").stream()
                    .filter(t -> t.isAfter(change.minusSeconds(3)) && t.isBefore(change.plusSeconds(3))).toList();
            for (int i = 1; i < host.size(); i++) {
                long gap = Duration.between(host.get(i - 1), host.get(i)).toMillis();
                // Under two intervals: no tick of the 1 s collector was skipped while reloading.
                assertTrue(gap < 1900, "collection paused " + gap + " ms around the reload: " + host);
            }
        }
    }

    @Test
    void disablingStopsACollectorEnablingResumesItAndRemovingAKeyRestoresItsDefault() throws Exception {
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            String id = register(agent);
            publish(id, monitoring(db).pgStats(true, 1).pgLocksEvery(1).toml());
            agent.await("applied configuration version 1 ", SOON);
            awaitSamples(id, "pg_locks_granted", t -> t.size() >= 2);

            publish(id, monitoring(db).pgStats(false, 1).toml());
            agent.await("applied configuration version 2 without a restart: .*pg_stats stopped", SOON);
            agent.await("applied configuration version 2 .*pg_locks stopped", SOON);
            Instant stopped = Instant.now();
            // After three more push rounds no new samples of either collector arrive.
            awaitSamples(id, "node_load1", t -> since(t, stopped.plusSeconds(3)) >= 1);
            assertEquals(0, since(sampleTimes(id, "pg_stat_database_xact_commit"), stopped.plusMillis(500)));
            assertEquals(0, since(sampleTimes(id, "pg_locks_granted"), stopped.plusMillis(500)),
                    "pg_locks is off by default once its section is removed (replace, not merge)");

            Instant resumed = Instant.now();
            publish(id, monitoring(db).pgStats(true, 1).toml());
            agent.await("applied configuration version 3 without a restart: pg_stats started", SOON);
            awaitSamples(id, "pg_stat_database_xact_commit", t -> since(t, resumed) >= 2);
        }
    }

    @Test
    void anUnapplicableVersionIsReportedFailedAndNotRetried() throws Exception {
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            String id = register(agent);
            publish(id, monitoring(db).pgStats(true, 1).toml());
            agent.await("applied configuration version 1 ", SOON);

            publish(id, monitoring(db).pgStats(true, 1).passwordFile("/etc/pgfleet/secrets/nonexistent-pgpass").toml());
            agent.await("could not apply configuration version 2: postgres.password_file "
                    + "/etc/pgfleet/secrets/nonexistent-pgpass does not exist", SOON);
            String fleet = admin.get("/api/v1/collectors?in_sync=false").body();
            assertTrue(fleet.contains("\"id\":\"" + id + "\"") && fleet.contains("\"apply_status\":\"FAILED\"")
                    && fleet.contains("\"applied_version\":1") && fleet.contains("does not exist"), fleet);

            Instant failed = Instant.now();
            agent.hangUp();
            agent.await("SIGHUP: pulling", SOON);
            agent.hangUp();
            int second = agent.await(java.util.regex.Pattern.compile("SIGHUP: pulling"),
                    agent.await("SIGHUP: pulling", SOON) + 1, SOON);
            awaitSamples(id, "pg_stat_database_xact_commit", t -> since(t, failed) >= 3);
            assertTrue(agent.alive());
            assertEquals(1, agent.count("could not apply configuration version 2"), "version 2 is not retried:\n" + agent.output());
            assertTrue(second > 0);

            // Outside the host's allow-lists: the server, knowing them from the agent's reports, refuses it;
            // forced through anyway, the agent refuses it without a word on whether the file exists.
            String outside = monitoring(db).pgStats(true, 1).passwordFile(agent.stateDir().resolve("identity.properties")
                    .toString()).toml();
            var refusedByServer = admin.putToml("/api/v1/config/" + id, outside);
            assertEquals(422, refusedByServer.statusCode(), refusedByServer.body());
            assertTrue(refusedByServer.body().contains("allowed_password_dirs"), refusedByServer.body());
            publish(id + "?force=true", outside);
            agent.await("could not apply configuration version 3: postgres.password_file is not in a directory this host "
                    + "allows .*; to allow it, add its directory to allowed_password_dirs", SOON);
            String refused = admin.get("/api/v1/collectors?in_sync=false").body();
            assertTrue(refused.contains("allowed_password_dirs") && refused.contains("\"applied_version\":1"), refused);
        }
    }

    @Test
    void sighupPullsAtOnce() throws Exception {
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            String id = register(agent);
            publish(id, monitoring(db).watch(false).pgStats(true, 60).toml());
            agent.await("applied configuration version 1 ", SOON);
            // Polling every 300 s and not watching: only SIGHUP can bring version 2 in time.
            publish(id, monitoring(db).watch(false).pgStats(true, 30).toml());
            agent.hangUp();
            agent.await("applied configuration version 2 ", Duration.ofSeconds(10));
            assertEquals(0, agent.count("SIGHUP is ignored|SIGHUP cannot be used"), "no warning where SIGHUP works");
            String fleet = admin.get("/api/v1/collectors").body();
            assertTrue(fleet.contains("\"applied_version\":2"), "the server saw the report: " + fleet);
        }
    }

    @Test
    void runsOnTheLastKnownGoodConfigurationWhenTheServerIsAwayAtStartUp() throws Exception {
        Path agentDir = dir.resolve("agent");
        String id;
        try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
            id = register(agent);
            publish(id, monitoring(db).pgStats(true, 7).toml());
            agent.await("applied configuration version 1 ", SOON);
        }
        assertTrue(Files.exists(agentDir.resolve("state").resolve("last-known-good.toml")));
        assertTrue(Files.exists(agentDir.resolve("state").resolve("identity.properties"))
                && !Files.exists(agentDir.resolve("state").resolve("registration.key")),
                "the registration's idempotency key is gone once the identity is kept");
        server.close();
        server = null;
        try (AgentProcess agent = AgentProcess.start(agentDir, settings.port())) {
            agent.await("running on the last-known-good configuration, version 1", SOON);
            agent.await("applied configuration version 1 at start: .*pg_stats every 7 s", SOON);
            assertTrue(agent.alive());
        }
    }
}
