package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped jar refuses to start, with one line saying why and what to do and exit status 1 (so
 * that systemd's {@code Restart=on-failure} tries again), when it cannot do its job: its port is
 * taken, another server holds its data directory, its embedded PostgreSQL cannot start, its database
 * cannot be connected to, or the connection to it is lost while it migrates. It never claims to be
 * ready then.
 */
class StartFailuresIT {

    @Test
    void aTakenPortFailsTheStartWithOneLineAndStatus1AndGeneratesNoSecretToLose(@TempDir Path dataDir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of("PGFLEET_PORT", Integer.toString(port)));

            assertEquals(1, run.exit(), run.output());
            assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot listen on 127.0.0.1:"
                    + port) && l.contains("PGFLEET_PORT")), "one line naming the address and the remedy:\n" + run.output());
            assertFalse(run.output().contains("pgfleet server ready"), "nothing claimed ready:\n" + run.output());
            assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
            assertFalse(run.output().contains("with the password:") || run.output().contains("registration secret:"), "no secret shown for a server that never served:\n" + run.output());
        }
        // Nothing was generated then: the first start that serves generates and shows them.
        try (ServerProcess server = ServerProcess.start(dataDir, Map.of())) {
            assertTrue(server.startOutput().contains("created the first administrator 'admin' with the password: "),
                    server.startOutput());
            assertTrue(server.startOutput().contains("generated the agent registration secret: "), server.startOutput());
        }
    }

    @Test
    void aSecondServerOnTheSameDataDirectoryIsRefusedWithOneLineAndStatus1(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD);
        try (ServerProcess first = ServerProcess.start(dataDir, env)) {
            ServerProcess.Failed second = ServerProcess.runUntilExit(dataDir, env);

            assertEquals(1, second.exit(), second.output());
            assertTrue(second.output().lines().anyMatch(l -> l.startsWith(
                    "pgfleet-server: cannot start: another pgfleet server is running on the data directory")),
                    "one line saying why:\n" + second.output());
            assertFalse(second.output().contains("Exception"), "no stack trace:\n" + second.output());
            assertFalse(second.output().contains("pgfleet server ready"), second.output());
            assertEquals(200, ApiClient.asAdmin(first.port()).get("/api/v1/collectors").statusCode(),
                    "the first server serves on");
        }
    }

    @Test
    void aPostgresThatCannotStartOnItsDataFailsTheStartInItsOwnWordsWithStatus1(@TempDir Path dataDir) throws Exception {
        EmbeddedDatabase.start(dataDir).close(); // the cluster exists: what follows are plain starts
        Path pgData = dataDir.resolve("postgres");
        Path version = pgData.resolve("PG_VERSION");
        String kept = Files.readString(version);

        // Files from another PostgreSQL version: PostgreSQL exits at once, saying so.
        Files.writeString(version, "99\n");
        ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of());
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot start the embedded PostgreSQL in "
                + pgData) && l.contains("database files are incompatible with server")
                && l.contains("initialized by PostgreSQL version 99")), "one line in PostgreSQL's words:\n" + run.output());
        assertNothingClaimed(run);
        Files.writeString(version, kept);

        // A setting PostgreSQL rejects: the line names it.
        Path conf = pgData.resolve("postgresql.conf");
        String settings = Files.readString(conf);
        Files.writeString(conf, settings + "\nshared_buffers = plenty\n");
        run = ServerProcess.runUntilExit(dataDir, Map.of());
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot start the embedded PostgreSQL")
                && l.contains("invalid value for parameter \"shared_buffers\": \"plenty\"")
                && l.contains("contains errors")), "one line naming the setting:\n" + run.output());
        assertNothingClaimed(run);
        Files.writeString(conf, settings);

        // Repaired, it starts: a failed start left nothing in the way (no lock, no process).
        try (ServerProcess server = ServerProcess.start(dataDir, Map.of())) {
            assertTrue(server.startOutput().contains("pgfleet server ready"), server.startOutput());
        }
    }

    @Test
    void aLostPostgresPasswordFileIsReplacedAtTheNextStartAndTheDataKept(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD);
        Path passwordFile = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
        try (ServerProcess server = ServerProcess.start(dataDir, env)) {
            assertEquals(201, ApiClient.asAdmin(server.port()).postJson("/api/v1/collectors", "{\"id\": \"db-kept\"}")
                    .statusCode());
        }
        String before = Files.readString(passwordFile);

        // Deleted (a cleanup, a copy that left it out), then emptied: the cluster has a password
        // that nothing holds any more; only the data directory's owner can set another.
        for (boolean deleted : List.of(true, false)) {
            if (deleted) {
                Files.delete(passwordFile);
            } else {
                Files.writeString(passwordFile, "");
            }
            try (ServerProcess server = ServerProcess.start(dataDir, env)) {
                assertTrue(server.startOutput().lines().anyMatch(l -> l.contains("WARNING") && l.contains(passwordFile
                        + " was missing or empty: the superuser of the embedded PostgreSQL was given a new password")),
                        server.startOutput());
                assertFalse(server.startOutput().contains("Gave up waiting"), server.startOutput());
                assertEquals(200, ApiClient.asAdmin(server.port()).get("/api/v1/collectors/db-kept").statusCode(),
                        "the data is the same");
            }
            String now = Files.readString(passwordFile).strip();
            assertFalse(now.isEmpty() || now.equals(before.strip()), "a new password is kept");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(passwordFile)));
            before = now;
        }
        // And it is the one the cluster takes from now on: a plain start, nothing to replace.
        try (ServerProcess server = ServerProcess.start(dataDir, env)) {
            assertFalse(server.startOutput().contains("was missing or empty"), server.startOutput());
        }
    }

    @Test
    void aNewPostgresPasswordIsNotLoggedWhateverTheClusterLogs(@TempDir Path dataDir) throws Exception {
        EmbeddedDatabase.start(dataDir).close();
        // An operator auditing the embedded cluster logs every statement, and its errors' statements.
        Files.writeString(dataDir.resolve("postgres").resolve("postgresql.conf"),
                "\nlog_statement = 'all'\nlog_min_duration_statement = 0\n", java.nio.file.StandardOpenOption.APPEND);
        Path passwordFile = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
        Files.delete(passwordFile);

        try (ServerProcess server = ServerProcess.start(dataDir, Map.of())) {
            String password = Files.readString(passwordFile).strip();
            assertFalse(password.isEmpty());
            assertTrue(server.startOutput().contains("was missing or empty"), server.startOutput());
            assertFalse(server.startOutput().contains(password), server.startOutput());
        }
    }

    @Test
    void aPostgresPasswordFileTheClusterRefusesFailsTheStartNamingTheFileAndWhatToDo(@TempDir Path dataDir)
            throws Exception {
        EmbeddedDatabase.start(dataDir).close();
        Path passwordFile = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
        Files.writeString(passwordFile, "not-the-password\n");

        ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of());
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot start the embedded"
                + " PostgreSQL in " + dataDir.resolve("postgres") + ": it refuses the superuser's password kept in "
                + passwordFile) && l.contains("delete the file and start again")
                && !l.contains("PGFLEET_DB_URL")), "one line naming the file and the remedy:\n" + run.output());
        assertNothingClaimed(run);

        // Done as it says, it starts.
        Files.delete(passwordFile);
        try (ServerProcess server = ServerProcess.start(dataDir, Map.of())) {
            assertTrue(server.startOutput().contains("pgfleet server ready"), server.startOutput());
        }
    }

    @Test
    void anExternalDatabaseThatCannotBeReachedFailsTheStartWithOneLineNamingTheSettings(@TempDir Path dataDir)
            throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        // Nothing listens there: the installed server.toml's db_url, started before its PostgreSQL.
        ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of(
                "PGFLEET_DB_URL", "jdbc:postgresql://127.0.0.1:" + closed + "/pgfleet?password=not-to-be-shown",
                "PGFLEET_DB_USER", "pgfleet", "PGFLEET_DB_PASSWORD", "secret"));
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot connect to the"
                + " database at jdbc:postgresql://127.0.0.1:" + closed + "/pgfleet as 'pgfleet': ")
                && l.contains("refused") && l.contains("PGFLEET_DB_URL")
                && l.contains("leave db_url out to run the embedded PostgreSQL")), "one line with the remedy:\n" + run.output());
        assertFalse(run.output().contains("not-to-be-shown"), "the URL's parameters are not shown:\n" + run.output());
        assertNothingClaimed(run);

        // A PostgreSQL that answers, without the database named: its own words.
        io.pgfleet.testing.TestDatabase db = io.pgfleet.testing.TestPostgres.newDatabase();
        String missing = db.url().replaceFirst("/[^/?]+(\\?.*)?$", "/no_such_database");
        run = ServerProcess.runUntilExit(dataDir, Map.of("PGFLEET_DB_URL", missing,
                "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password()));
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot connect to the"
                + " database at " + missing) && l.contains("no_such_database") && l.contains("does not exist")),
                "one line in PostgreSQL's words:\n" + run.output());
        assertNothingClaimed(run);
    }

    @Test
    void aPasswordWrittenIntoTheDatabaseUrlIsNeverShown(@TempDir Path dataDir) throws Exception {
        // libpq's form, copied from another tool: refused as a setting, without the password.
        ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of(
                "PGFLEET_DB_URL", "postgres://pgfleet:not-to-be-shown@127.0.0.1:5432/pgfleet"));
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().contains("jdbc:postgresql:"), run.output());
        assertFalse(run.output().contains("not-to-be-shown"), "the password is not shown:\n" + run.output());

        // A user:password@ part, which the driver does not read: the one line does not show it either.
        run = ServerProcess.runUntilExit(dataDir, Map.of(
                "PGFLEET_DB_URL", "jdbc:postgresql://pgfleet:not-to-be-shown@127.0.0.1:5432/pgfleet"));
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot connect to the"
                + " database at jdbc:postgresql://pgfleet:***@127.0.0.1:5432/pgfleet as ")), run.output());
        assertFalse(run.output().contains("not-to-be-shown"), "the password is not shown:\n" + run.output());

        // The driver's own parameter: the server starts, and the line that says so is in every log.
        io.pgfleet.testing.TestDatabase db = io.pgfleet.testing.TestPostgres.newDatabase();
        // The test server trusts local connections (no password): one is written anyway, and ignored.
        String password = db.password().isEmpty() ? "not-to-be-shown" : db.password();
        String url = db.url() + (db.url().contains("?") ? "&" : "?") + "password=" + password;
        try (ServerProcess server = ServerProcess.start(dataDir, Map.of("PGFLEET_DB_URL", url,
                "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password(),
                "PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD))) {
            assertTrue(server.startOutput().contains("pgfleet server ready"), server.startOutput());
            assertFalse(server.startOutput().contains(password),
                    "the database password is not shown:\n" + server.startOutput());
        }
    }

    @Test
    void aConnectionLostDuringAMigrationIsToldApartFromOneThatCannotBeMadeAndTheNextStartContinues(@TempDir Path dataDir)
            throws Exception {
        // A database one release behind: the start migrates it, and its V36 alters collectors.
        TestDatabase db = TestPostgres.newDatabaseAt("35");
        Map<String, String> env = Map.of("PGFLEET_DB_URL", db.url(), "PGFLEET_DB_USER", db.user(),
                "PGFLEET_DB_PASSWORD", db.password(), "PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD);
        ServerProcess.Failed run;
        try (Connection traffic = db.connect(); Connection admin = db.connect(); Statement s = traffic.createStatement()) {
            // The running release's traffic holds the table: the migration waits for it, as documented.
            traffic.setAutoCommit(false);
            s.execute("LOCK TABLE collectors IN ACCESS SHARE MODE");
            CompletableFuture<ServerProcess.Failed> start = CompletableFuture.supplyAsync(() -> {
                try {
                    return ServerProcess.runUntilExit(dataDir, env);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // Once its migration waits on the lock, the connection was made; then it is lost (an
            // administrator's pg_terminate_backend; a restart or failover of PostgreSQL does the same).
            DatabaseWaits.awaitCondition(() -> migrationWaitingForALock(admin).isPresent() || start.isDone(),
                    "the migration waits for the table lock");
            try (PreparedStatement kill = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
                kill.setInt(1, migrationWaitingForALock(admin).orElseThrow(
                        () -> new AssertionError("the server did not wait for the lock:\n" + start.join().output())));
                kill.execute();
            }
            run = start.get(2, TimeUnit.MINUTES);
            traffic.rollback();
        }

        assertEquals(1, run.exit(), run.output());
        String shown = DatabaseSettings.shown(db.url());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: the connection to the"
                + " database at " + shown + " was lost during migration 36 (restore mark per collector): ")
                && l.contains("terminating connection due to administrator command")
                && l.contains("rolled back") && l.contains("start again")),
                "one line saying the connection was lost, not that it cannot be made:\n" + run.output());
        assertFalse(run.output().contains("cannot connect"), "no setting to check:\n" + run.output());
        assertNothingClaimed(run);
        // Rolled back whole: the interrupted migration left neither its column nor its history row.
        assertEquals(0, db.count(RESTORED_AT_COLUMN));
        assertEquals(0, db.count("SELECT count(*) FROM flyway_schema_history WHERE version = '36'"));

        // Started again, it continues where the lost connection left it.
        try (ServerProcess server = ServerProcess.start(dataDir, env)) {
            assertTrue(server.startOutput().contains("pgfleet server ready"), server.startOutput());
            assertFalse(server.startOutput().contains("Executing Java callback"),
                    "following the migrations adds nothing to the log:\n" + server.startOutput());
            assertEquals(200, ApiClient.asAdmin(server.port()).get("/api/v1/collectors").statusCode());
        }
        assertEquals(1, db.count(RESTORED_AT_COLUMN), "the interrupted migration is applied");
    }

    private static final String RESTORED_AT_COLUMN = "SELECT count(*) FROM information_schema.columns"
            + " WHERE table_name = 'collectors' AND column_name = 'restored_at'";

    /** The server's migration backend, while it waits for a lock. */
    private static Optional<Integer> migrationWaitingForALock(Connection c) {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("""
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'pgfleet migration'
                  AND wait_event_type = 'Lock'""")) {
            return r.next() ? Optional.of(r.getInt(1)) : Optional.empty();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Without {@code cat} (coreutils) on the server's PATH, PostgreSQL's log cannot be passed on: the
     * start fails with one line saying what is missing and where it was looked for, before PostgreSQL
     * is started at all (nothing left running, nothing in the way of the next start).
     */
    @Test
    void aMissingCatFailsTheStartWithOneLineNamingItBeforePostgresIsStarted(@TempDir Path dataDir, @TempDir Path bin)
            throws Exception {
        EmbeddedDatabase.start(dataDir).close(); // the cluster exists: what follows is a plain start
        // Every command of the system but cat, as on a host whose PATH lost coreutils' directory.
        for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
            try (java.util.stream.Stream<Path> commands = Files.list(Path.of(dir))) {
                for (Path command : commands.toList()) {
                    Path link = bin.resolve(command.getFileName());
                    if (!command.getFileName().toString().equals("cat") && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(link, command);
                    }
                }
            } catch (java.nio.file.NoSuchFileException absent) {
                // not on this system
            }
        }
        ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of("PATH", bin.toString()));
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot start the embedded PostgreSQL")
                && l.contains("cat (coreutils)") && l.contains("not found on PATH (" + bin + ")")), "one line naming cat:\n" + run.output());
        assertNothingClaimed(run);
        assertFalse(Files.exists(dataDir.resolve("postgres/postmaster.pid")), "PostgreSQL was not started");

        try (ServerProcess server = ServerProcess.start(dataDir, Map.of())) {
            assertTrue(server.startOutput().contains("pgfleet server ready"), server.startOutput());
        }
    }

    private static void assertNothingClaimed(ServerProcess.Failed run) {
        assertFalse(run.output().contains("pgfleet server ready"), "nothing claimed ready:\n" + run.output());
        assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
        assertFalse(run.output().contains("Gave up waiting"), "not waited out:\n" + run.output());
    }
}
