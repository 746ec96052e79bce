package io.pgfleet.agent.collect;

import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The collectors against a real PostgreSQL that keeps them waiting. */
class MetricCollectorsTest {

    private static EmbeddedPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.builder().start();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            // The embedded binaries ship the extension; creating it needs no preloading.
            s.execute("CREATE EXTENSION pg_stat_statements");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        pg.close();
    }

    private static int agentSessions(Statement s) throws SQLException {
        try (ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfleet-agent'")) {
            r.next();
            return r.getInt(1);
        }
    }

    /** The agent's sessions that wait for a lock, as the database sees them. */
    private static int agentSessionsWaitingForALock(Statement s) throws SQLException {
        try (ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfleet-agent'"
                + " AND wait_event_type = 'Lock'")) {
            r.next();
            return r.getInt(1);
        }
    }

    /**
     * A migration that holds the extension's view in a long transaction ({@code ALTER EXTENSION
     * pg_stat_statements UPDATE}, a {@code DROP} not committed yet): the agent's query waits for that
     * lock. It must give up in the database, not only in the driver: a query the driver abandons
     * after its socket timeout goes on waiting in its backend, so every run would leave one more
     * session behind until the lock is released (the database's connection slots, one a run), and
     * hold every other collector for those 30 s.
     */
    @Test
    void aQueryThatWaitsForALockGivesUpInTheDatabaseWithinSecondsAndLeavesNoSessionBehind() throws Exception {
        EffectiveConfig config = EffectiveConfig.defaults();
        try (MetricCollectors collectors = new MetricCollectors();
             Connection migration = pg.getPostgresDatabase().getConnection(); Statement s = migration.createStatement()) {
            collectors.retarget(new EffectiveConfig.PostgresTarget("localhost", pg.getPort(), "postgres", "", "",
                    List.of("postgres"), "disable"));
            migration.setAutoCommit(false);
            s.execute("LOCK TABLE pg_stat_statements IN ACCESS EXCLUSIVE MODE");
            for (int run = 1; run <= 2; run++) {
                long started = System.nanoTime();
                SQLException e = assertThrows(SQLException.class,
                        () -> collectors.collect(CollectorKind.PG_STAT_STATEMENTS, config));
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                assertTrue(took.compareTo(MonitoredDatabase.LOCK_TIMEOUT.plusSeconds(5)) < 0,
                        "run " + run + " held the collectors for " + took);
                assertTrue(String.valueOf(e.getMessage()).contains("lock timeout"), e.toString());
                assertEquals(0, agentSessionsWaitingForALock(s), "run " + run + " left a session waiting in the database");
            }
            // The other collectors are served meanwhile.
            assertFalse(collectors.collect(CollectorKind.PG_CONNECTIONS, config).isEmpty());
            migration.rollback();
        }
    }

    /**
     * The database restarted, failed over, or ended the agent's session ({@code pg_terminate_backend},
     * an {@code idle_session_timeout} shorter than the interval) between two runs: the connection the
     * agent kept is gone, which says nothing about the database now. The run is not lost for it.
     */
    @Test
    void aKeptConnectionThatTheDatabaseEndedBetweenRunsCostsNoRun() throws Exception {
        EffectiveConfig config = EffectiveConfig.defaults();
        try (MetricCollectors collectors = new MetricCollectors();
             Connection admin = pg.getPostgresDatabase().getConnection(); Statement s = admin.createStatement()) {
            collectors.retarget(new EffectiveConfig.PostgresTarget("localhost", pg.getPort(), "postgres", "", "",
                    List.of("postgres"), "disable"));
            assertFalse(collectors.collect(CollectorKind.PG_STATS, config).isEmpty());
            for (int run = 1; run <= 2; run++) {
                try (ResultSet r = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE application_name = 'pgfleet-agent'")) {
                    r.next();
                    assertEquals(1, r.getInt(1), "the agent keeps one connection");
                }
                while (agentSessions(s) > 0) {
                    Thread.sleep(20);
                }
                assertFalse(collectors.collect(CollectorKind.PG_STATS, config).isEmpty(), "run " + run);
            }
        }
        // A database that is not there is still a failed run, not one tried twice over.
        try (MetricCollectors collectors = new MetricCollectors()) {
            collectors.retarget(new EffectiveConfig.PostgresTarget("localhost", 1, "postgres", "", "",
                    List.of("postgres"), "disable"));
            assertThrows(SQLException.class, () -> collectors.collect(CollectorKind.PG_STATS, config));
        }
    }

    /**
     * The password file was there when the version was applied, and is gone or unreadable since (a
     * secret rotated by replacing the file, its mode changed by configuration management). The
     * driver alone would say that no password was provided, which sends the operator to the
     * database; the failure names the file.
     */
    @Test
    void aPasswordFileThatCannotBeReadAnyMoreIsNamedWhenTheDatabaseRefusesTheConnection(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path secrets) throws Exception {
        EffectiveConfig config = EffectiveConfig.defaults();
        java.nio.file.Path file = secrets.resolve("pg-password");
        java.nio.file.Files.writeString(file, "secret-1\n");
        try (Connection admin = pg.getPostgresDatabase().getConnection(); Statement s = admin.createStatement()) {
            s.execute("CREATE ROLE agent_pw LOGIN PASSWORD 'secret-1'");
            String hba;
            try (ResultSet r = s.executeQuery("SHOW hba_file")) {
                r.next();
                hba = r.getString(1);
            }
            // Ahead of the embedded server's "trust": this role must give its password.
            java.nio.file.Path hbaFile = java.nio.file.Path.of(hba);
            java.nio.file.Files.writeString(hbaFile, "host all agent_pw 127.0.0.1/32 md5\nhost all agent_pw ::1/128 md5\n"
                    + java.nio.file.Files.readString(hbaFile));
            s.execute("SELECT pg_reload_conf()");
            try (MetricCollectors collectors = new MetricCollectors()) {
                collectors.retarget(new EffectiveConfig.PostgresTarget("localhost", pg.getPort(), "agent_pw",
                        file.toString(), "", List.of("postgres"), "disable"));
                assertFalse(collectors.collect(CollectorKind.PG_CONNECTIONS, config).isEmpty());
                java.nio.file.Files.delete(file);
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgfleet-agent'");
                while (agentSessions(s) > 0) {
                    Thread.sleep(20);
                }
                SQLException e = assertThrows(SQLException.class, () -> collectors.collect(CollectorKind.PG_CONNECTIONS, config));
                assertTrue(e.getMessage().contains("(no password was sent: postgres.password_file " + file
                        + " cannot be read on this host: it does not exist)"), e.getMessage());
            }
        }
    }

    /**
     * One of the watched paths is removed after the version was applied (a directory deleted, a mount
     * point taken away): the run names it and fails, and the other paths are still measured.
     */
    @Test
    void aDiskPathRemovedSinceTheVersionWasAppliedFailsTheRunButNotTheOtherPaths(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path root) throws Exception {
        java.nio.file.Path data = java.nio.file.Files.createDirectory(root.resolve("data"));
        java.nio.file.Path backup = java.nio.file.Files.createDirectory(root.resolve("backup"));
        EffectiveConfig d = EffectiveConfig.defaults();
        EffectiveConfig config = new EffectiveConfig(d.pullInterval(), d.pushInterval(), d.watch(), d.postgres(),
                d.collectors(), List.of(data.toString(), backup.toString()), d.statementsTop());
        try (MetricCollectors collectors = new MetricCollectors()) {
            assertEquals(6, collectors.collect(CollectorKind.DISK_USAGE, config).size());
            java.nio.file.Files.delete(backup);
            io.pgfleet.agent.core.MetricSource.PartlyCollected e = assertThrows(
                    io.pgfleet.agent.core.MetricSource.PartlyCollected.class,
                    () -> collectors.collect(CollectorKind.DISK_USAGE, config));
            assertEquals("collectors.disk_usage.paths: " + backup + " does not exist (1 of 2 paths collected)", e.getMessage());
            assertEquals(List.of("node_filesystem_size_bytes", "node_filesystem_free_bytes", "node_filesystem_used_bytes"),
                    e.samples().stream().map(io.pgfleet.domain.fleet.Sample::name).toList());
            assertTrue(e.samples().stream().allMatch(x -> x.labels().equals(java.util.Map.of("path", data.toString()))));
        }
    }
}
