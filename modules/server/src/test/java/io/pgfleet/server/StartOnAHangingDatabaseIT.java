package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A database that stops answering while the server starts (its host frozen, its network path lost;
 * here PostgreSQL stopped with SIGSTOP) fails the start with one line and status 1, so that systemd
 * starts it again later, instead of holding the start for ever. Waiting for another instance's
 * migration is not such a hang: the start waits for it.
 */
class StartOnAHangingDatabaseIT {

    /** Flyway's advisory lock on PostgreSQL: a fixed number plus the hash of its history table's name. */
    private static final long FLYWAY_LOCK = 77431708279161L + "\"public\".\"flyway_schema_history\"".hashCode();

    /** The statement timeout the servers here run with: short, so that a hang is noticed soon. */
    private static final String TIMEOUT = "2";

    @Test
    void aDatabaseFrozenBeforeTheStartFailsItWithOneLineAndStatus1(@TempDir Path dir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"))) {
            assertFailsWhileFrozen(dir.resolve("db/postgres"),
                    () -> ServerProcess.runUntilExit(dir.resolve("server"), env(db.settings(1))));
        }
    }

    @Test
    void aDatabaseFrozenWhileTheServerWaitsForAnotherInstancesMigrationFailsTheStart(@TempDir Path dir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"));
             Connection other = connect(db.settings(1))) {
            holdMigrationLock(other);
            CompletableFuture<ServerProcess.Failed> run = inBackground(
                    () -> ServerProcess.runUntilExit(dir.resolve("server"), env(db.settings(1))));
            awaitWaitingForTheLock(other);
            assertFailsWhileFrozen(dir.resolve("db/postgres"), () -> run.get(150, TimeUnit.SECONDS));
        }
    }

    @Test
    void aSecondInstanceWaitsForTheFirstsMigrationLongerThanTheStatementTimeout(@TempDir Path dir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("db"));
             Connection other = connect(db.settings(1))) {
            holdMigrationLock(other);
            CompletableFuture<ServerProcess> started = inBackground(
                    () -> ServerProcess.start(dir.resolve("server"), env(db.settings(1))));
            try {
                awaitWaitingForTheLock(other);
                // Several statement timeouts: what is asserted is that nothing happens meanwhile.
                Thread.sleep(TimeUnit.SECONDS.toMillis(3 * Long.parseLong(TIMEOUT)));
                assertFalse(started.isDone(), "still waiting for the other instance's migration, neither failed nor started");

                try (Statement s = other.createStatement()) {
                    s.execute("SELECT pg_advisory_unlock(" + FLYWAY_LOCK + ")");
                }
                try (ServerProcess server = started.get(150, TimeUnit.SECONDS)) {
                    assertTrue(server.startOutput().contains("pgfleet server ready"), server.startOutput());
                }
            } finally {
                started.thenAccept(ServerProcess::close);
            }
        }
    }

    /** Freezes all of PostgreSQL, as a frozen host would, for as long as the start takes to fail. */
    private static void assertFailsWhileFrozen(Path pgData, java.util.concurrent.Callable<ServerProcess.Failed> start)
            throws Exception {
        List<ProcessHandle> cluster = cluster(pgData);
        signal("STOP", cluster);
        try {
            assertNotAnswering(start.call());
        } finally {
            signal("CONT", cluster);
        }
    }

    private static void assertNotAnswering(ServerProcess.Failed run) {
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith(
                        "pgfleet-server: cannot start: the database did not answer within " + TIMEOUT + " s during migrations")),
                "one line saying so:\n" + run.output());
        assertFalse(run.output().contains("pgfleet server ready"), run.output());
        assertFalse(run.output().lines().anyMatch(l -> l.startsWith("\tat ")), "no stack trace:\n" + run.output());
    }

    private static <T> CompletableFuture<T> inBackground(java.util.concurrent.Callable<T> task) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return task.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static Map<String, String> env(DatabaseSettings db) {
        return Map.of("PGFLEET_DB_URL", db.url(), "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password(),
                "PGFLEET_DB_STATEMENT_TIMEOUT", TIMEOUT, "PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD);
    }

    private static Connection connect(DatabaseSettings db) throws Exception {
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    /** What an instance migrating right now holds. */
    private static void holdMigrationLock(Connection c) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + FLYWAY_LOCK + ")")) {
            assertTrue(rs.next() && rs.getBoolean(1), "the lock is free at first");
        }
    }

    /** Until the server has asked for the migration lock (and been refused, as it is held). */
    private static void awaitWaitingForTheLock(Connection c) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
                + " AND query LIKE '%pg_try_advisory%'")) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(100);
            }
        }
        fail("the server never asked for the migration lock");
    }

    /** The postmaster and its backends: all of PostgreSQL, to freeze as a frozen host would. */
    private static List<ProcessHandle> cluster(Path pgData) throws Exception {
        long pid = Long.parseLong(Files.readAllLines(pgData.resolve("postmaster.pid")).get(0).strip());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> all = new ArrayList<>();
        all.add(postmaster);
        all.addAll(postmaster.descendants().toList());
        return all;
    }

    private static void signal(String signal, List<ProcessHandle> processes) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        processes.forEach(p -> command.add(Long.toString(p.pid())));
        new ProcessBuilder(command).inheritIO().start().waitFor();
    }
}
