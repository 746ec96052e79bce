package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.time.Duration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The product's default database: durable, and only reachable with the superuser's password. */
class EmbeddedDatabaseIT {

    @Test
    void runsDurableRefusesPasswordlessLoginsAndASecondServer(@TempDir Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedDatabase.start(dataDir));
            assertTrue(e.getMessage().contains("another pgfleet server"), e.getMessage());
        }
        // A restart reuses the same password and keeps the same rules.
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
        }
    }

    @Test
    void aDataDirectoryFromTheTrustDaysGetsAPassword(@TempDir Path dataDir) throws Exception {
        // What earlier versions left behind: the library's defaults, trust authentication, no password.
        EmbeddedPostgres.builder().setDataDirectory(dataDir.resolve("postgres")).setCleanDataDirectory(false).start().close();
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
        }
    }

    @Test
    void aDataDirectoryCopiedWithLoosePermissionsStartsAndIsClosedAgain(@TempDir Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
        }
        // What a copy or an archive restored without its modes leaves: everything open to everyone.
        try (var paths = Files.walk(dataDir)) {
            for (Path p : paths.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxrwxrwx" : "rw-rw-rw-"));
            }
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("postgres"))));
        }
    }

    @Test
    void aPostgresKilledUnderTheServerIsStartedAgainOnTheSamePortWithItsData(@TempDir Path dataDir) throws Exception {
        // The embedded library's records (its loggers are java.util.logging's through slf4j-jdk14).
        List<LogRecord> library = new java.util.concurrent.CopyOnWriteArrayList<>();
        Logger libraryLogger = Logger.getLogger("io.zonky.test.db.postgres");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                library.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        libraryLogger.addHandler(capture);
        try {
            killedAndStartedAgain(dataDir);
        } finally {
            libraryLogger.removeHandler(capture);
        }
        // Nothing alarming from the library about a PostgreSQL that is gone ("Could not stop postmaster" and its stack trace).
        List<String> alarming = library.stream()
                .filter(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue() || r.getThrown() != null)
                .map(r -> r.getLevel() + " " + r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown()))
                .toList();
        assertTrue(alarming.isEmpty(), "the library's warnings: " + alarming);
    }

    /**
     * PostgreSQL's log (echoed into the server's) of a failing statement says what failed and on which
     * constraint, never the row or the statement's values; nor does the failure the server logs.
     */
    @Test
    void aRefusedRowStaysOutOfTheLogAndOfTheFailure(@TempDir Path dataDir) throws Exception {
        String hash = "$scrypt$leaked-" + java.util.UUID.randomUUID();
        // What of PostgreSQL's output reaches the server's log ("postgres: …").
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Logger logger = Logger.getLogger(EmbeddedDatabase.class.getName());
        Handler capture = new CapturingHandler(lines);
        logger.addHandler(capture);
        List<String> logged = new ArrayList<>();
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            DatabaseSettings settings = db.settings(2);
            try (io.pgfleet.adapter.out.postgres.PostgresStorage storage = io.pgfleet.adapter.out.postgres.PostgresStorage.open(settings);
                 Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
                 Statement s = c.createStatement()) {
                // A row the database refuses (as it would a damaged or forged one), through the server's pool:
                // PostgreSQL's detail says "Failing row contains (…)", the password hash among the values.
                s.execute("ALTER TABLE users ADD CONSTRAINT users_refused CHECK (username <> 'refused')");
                java.time.Instant now = java.time.Instant.parse("2026-12-03T04:00:00Z");
                io.pgfleet.domain.access.Username name = new io.pgfleet.domain.access.Username("refused");
                RuntimeException failure = assertThrows(RuntimeException.class, () -> storage.users().saveNewUser(
                        new io.pgfleet.domain.access.User(name, io.pgfleet.domain.access.Role.OPERATOR, true, hash, now),
                        new io.pgfleet.domain.audit.AuditEntry(now, new io.pgfleet.domain.identity.Actor("admin", "127.0.0.1"),
                                io.pgfleet.domain.audit.AuditAction.USER_CREATED, new io.pgfleet.domain.audit.AuditSubject.OfUser(name),
                                0, "created")));
                // Its stack trace is what the server logs of a failure it did not expect.
                java.io.StringWriter trace = new java.io.StringWriter();
                failure.printStackTrace(new java.io.PrintWriter(trace));
                assertTrue(trace.toString().contains("users_refused"), trace.toString());
                assertFalse(trace.toString().contains(hash), "the row in the failure:\n" + trace);
                // Every session (an operator's psql on the server's port too) logs its failures so: no
                // detail or context (the row), no statement (its literal values).
                try (ResultSet rs = s.executeQuery("SELECT current_setting('log_error_verbosity'),"
                        + " current_setting('log_min_error_statement')")) {
                    rs.next();
                    assertEquals("terse", rs.getString(1));
                    assertEquals("panic", rs.getString(2));
                }
            }
        } finally {
            logger.removeHandler(capture);
        }
        lines.drainTo(logged);
        String log = String.join("\n", logged);
        assertFalse(log.contains(hash), "the refused row in the log:\n" + log);
        assertFalse(log.contains("Failing row contains"), "the refused row in the log:\n" + log);
        // PostgreSQL did log the refusal, in the server's log: what failed, and on which constraint.
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("postgres: ") && l.contains("ERROR:")
                && l.contains("violates check constraint \"users_refused\"")), "the refusal in the log:\n" + log);
    }

    /**
     * PostgreSQL's log reaches the server's for as long as PostgreSQL runs, not only while pg_ctl
     * starts it; an overlong line is cut, and no process following it outlives the database.
     */
    @Test
    void postgresLogsWhileItRunsReachTheServersLog(@TempDir Path dataDir) throws Exception {
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        Logger logger = Logger.getLogger(EmbeddedDatabase.class.getName());
        Handler capture = new CapturingHandler(log);
        logger.addHandler(capture);
        List<ProcessHandle> relays;
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            DatabaseSettings settings = db.settings(2);
            String first = "pgfleet-marker-" + java.util.UUID.randomUUID();
            raiseLog(settings, "'" + first + "'");
            awaitLine(log, "postgres: ", "LOG:  " + first, 30);
            // Later, and more than a pipe's worth of it: a line of 100,000 characters, then another marker.
            String second = "pgfleet-marker-" + java.util.UUID.randomUUID();
            raiseLog(settings, "'pgfleet-long-line ' || repeat('x', 100000)");
            raiseLog(settings, "'" + second + "'");
            String cut = awaitLine(log, "postgres: ", "pgfleet-long-line", 30);
            assertTrue(cut.length() < 9_000 && cut.endsWith("(cut: longer than 8192 bytes)"), cut.length() + " characters");
            awaitLine(log, "postgres: ", "LOG:  " + second, 30);
            relays = ProcessHandle.current().children().filter(p -> p.info().command().orElse("").endsWith("/cat")).toList();
            assertFalse(relays.isEmpty(), "PostgreSQL's log is passed on by cat");
        } finally {
            logger.removeHandler(capture);
        }
        // Stopped with PostgreSQL, its last words logged first.
        assertTrue(relays.stream().noneMatch(ProcessHandle::isAlive), "cat outlived PostgreSQL");
        awaitLine(log, "postgres: ", "database system is shut down", 1);
    }

    /**
     * A log that does not keep up (a stalled journal) never holds PostgreSQL up: what does not fit in
     * the queue is dropped and counted, and the log goes on once it catches up.
     */
    @Test
    void aStalledLogNeverHoldsPostgresUp(@TempDir Path dataDir) throws Exception {
        java.util.concurrent.CountDownLatch stalled = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        Logger logger = Logger.getLogger(EmbeddedDatabase.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage().contains("pgfleet-flood")) {
                    stalled.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                log.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            DatabaseSettings settings = db.settings(2);
            // 20,000 lines, a megabyte: many pipes' worth, written while the log takes none of it.
            java.util.concurrent.CompletableFuture<Void> flood = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
                     Statement s = c.createStatement()) {
                    s.execute("DO $$ BEGIN FOR i IN 1..20000 LOOP RAISE LOG 'pgfleet-flood %', i; END LOOP; END $$");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(stalled.await(30, TimeUnit.SECONDS), "the flood reached the log");
            try {
                flood.get(120, TimeUnit.SECONDS); // a hang, not a speed: it takes well under a second
                assertDurableAndLocked(settings, dataDir); // other sessions are served too
            } finally {
                release.countDown();
            }
            awaitLine(log, "line(s) of PostgreSQL's log dropped", "did not keep up", 30);
            raiseLog(settings, "'pgfleet-after-the-flood'");
            awaitLine(log, "postgres: ", "LOG:  pgfleet-after-the-flood", 30);
        } finally {
            logger.removeHandler(capture);
        }
    }

    /**
     * PostgreSQL started again after it died, again and again over weeks, leaves nothing behind:
     * the log of each PostgreSQL that died ends with it, its cat, its threads and its pipes gone.
     */
    @Test
    void restartsAfterPostgresDiedLeaveNoRelayThreadOrPipeBehind(@TempDir Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            DatabaseSettings settings = db.settings(2);
            keepARow(settings);
            long fdsBefore = openFiles();
            for (int i = 0; i < 3; i++) {
                long postmaster = Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(0).strip());
                ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();
                ProcessHandle.of(postmaster).ifPresent(p -> p.onExit().join());
                awaitKeptRow(settings, Duration.ofSeconds(60), "PostgreSQL is back within a minute", () -> "");
            }
            String left = awaitLeftBehind(fdsBefore, 30);
            assertEquals("", left, "left behind by the PostgreSQLs that died");
        }
    }

    /** What the dead PostgreSQLs' logs still hold ("" once nothing), awaited: their last backends exit after them. */
    private static String awaitLeftBehind(long fdsBefore, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long cats = ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().command().orElse("").endsWith("/cat")).count();
            long threads = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("pgfleet-postgres-output") || t.getName().startsWith("pgfleet-postgres-log"))
                    .count();
            long fds = openFiles();
            String left = (cats == 1 ? "" : cats + " cat processes; ") + (threads == 2 ? "" : threads + " log threads; ")
                    + (fds <= fdsBefore ? "" : (fds - fdsBefore) + " more open files");
            if (left.isEmpty() || System.nanoTime() > deadline) {
                return left;
            }
            Thread.sleep(200);
        }
    }

    private static long openFiles() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static void raiseLog(DatabaseSettings settings, String message) throws SQLException {
        try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
             Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN RAISE LOG '%', " + message + "; END $$");
        }
    }

    /** A row whose presence after a restart shows the database came back with its data. */
    private static void keepARow(DatabaseSettings settings) throws Exception {
        try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE kept (x int)");
            s.execute("INSERT INTO kept VALUES (42)");
        }
    }

    private static void killedAndStartedAgain(Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            DatabaseSettings settings = db.settings(2);
            keepARow(settings);
            // The OOM killer or an operator's kill -9 on the postmaster: its backends follow it.
            long postmaster = Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(0).strip());
            ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();
            ProcessHandle.of(postmaster).ifPresent(p -> p.onExit().join());

            awaitKeptRow(settings, Duration.ofSeconds(60), "PostgreSQL is back within a minute", () -> "");
            assertEquals(settings.url(), db.settings(2).url(), "the same port: the pool's URL stays valid");
            assertDurableAndLocked(db.settings(2), dataDir);
        }
        // Closed for good: not started again behind the server's back.
        assertFalse(Files.exists(dataDir.resolve("postgres/postmaster.pid")), "stopped on close");
        Thread.sleep(1_500);
        assertFalse(Files.exists(dataDir.resolve("postgres/postmaster.pid")), "still stopped after close");
    }

    @Test
    void aRestartThatFindsItsPortTakenReleasesWhatItTookAndSucceedsOnceThePortIsFree(@TempDir Path dataDir) throws Exception {
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        Logger logger = Logger.getLogger(EmbeddedDatabase.class.getName());
        Handler capture = new CapturingHandler(log);
        logger.addHandler(capture);
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            DatabaseSettings settings = db.settings(2);
            keepARow(settings);
            long killedAt;
            String failure;
            // The postmaster killed, and its port taken by some other local process during the outage.
            try (Squatter squatter = killPostmasterAndTakeItsPort(dataDir, db.port())) {
                killedAt = System.nanoTime();
                failure = awaitLine(log, "starting the embedded PostgreSQL again failed", "Address already in use", 75);
            }
            long failedAfter = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt);
            assertTrue(failedAfter < 20, "a start that fails at once is not waited on for a minute: " + failedAfter + " s");
            assertTrue(epgLockHandles(dataDir) <= 1, "a failed attempt keeps no handle on epg-lock: " + epgLockHandles(dataDir));

            // The port is free again: the next attempt (a second or so later) brings it back, data and rules kept.
            awaitKeptRow(settings, Duration.ofSeconds(30), "PostgreSQL is back within 30 s of the port's release",
                    () -> "; log: " + log);
            awaitLine(log, "the embedded PostgreSQL runs again", "port " + db.port(), 5);
            assertEquals(settings.url(), db.settings(2).url(), "the same port: the pool's URL stays valid");
            assertDurableAndLocked(db.settings(2), dataDir);
            assertEquals(0, epgLockHandles(dataDir), "nothing left of the library's start on epg-lock");
        } finally {
            logger.removeHandler(capture);
        }
        assertFalse(Files.exists(dataDir.resolve("postgres/postmaster.pid")), "the PostgreSQL started again is stopped on close");
    }

    /**
     * An agent that monitors the server's own PostgreSQL names its port: a restart of the server
     * keeps it, and PostgreSQL moves only when another process holds it meanwhile, saying so.
     */
    @Test
    void aRestartTakesThePortPostgresRanOnBeforeAndMovesOnlyWhenItIsTaken(@TempDir Path dataDir) throws Exception {
        int first;
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            first = db.port();
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertEquals(first, db.port(), "the port of the first start");
            keepARow(db.settings(2));
        }
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        Logger logger = Logger.getLogger(EmbeddedDatabase.class.getName());
        Handler capture = new CapturingHandler(log);
        logger.addHandler(capture);
        int moved;
        try (java.net.ServerSocket squatter = new java.net.ServerSocket(first, 1, java.net.InetAddress.getByName("127.0.0.1"));
             EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            moved = db.port();
            assertNotEquals(first, moved, "another process holds the old port");
            awaitKeptRow(db.settings(2), Duration.ofSeconds(10), "its data on the new port", () -> "");
            assertTrue(log.stream().anyMatch(l -> l.startsWith("port " + first + " on 127.0.0.1, where the embedded PostgreSQL"
                    + " ran before, is taken by another process: it runs on port " + moved + " from now on")), log.toString());
        } finally {
            logger.removeHandler(capture);
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertEquals(moved, db.port(), "the port it moved to is kept in turn");
        }
    }

    @Test
    void aFirstStartOnATakenPortFailsAtOnceSayingSoAndHoldsNothing(@TempDir Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir); // the cluster exists: what follows is a plain start
        }
        try (Squatter taken = Squatter.on(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")))) {
            int port = taken.socket().getLocalPort();
            long before = System.nanoTime();
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> EmbeddedDatabase.start(dataDir, port));
            assertTrue(e.getMessage().contains("port " + port) && e.getMessage().contains("taken"), e.getMessage());
            assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(10), "refused at once");
        }
        assertEquals(0, epgLockHandles(dataDir));
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
        }
    }

    /** A local process holding a port: it accepts connections and closes them, speaking no PostgreSQL. */
    private record Squatter(ServerSocket socket, Thread acceptor) implements AutoCloseable {
        static Squatter on(ServerSocket socket) {
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!socket.isClosed()) {
                    try (Socket ignored = socket.accept()) {
                        // hung up at once
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            return new Squatter(socket, acceptor);
        }

        @Override
        public void close() throws Exception {
            socket.close();
            acceptor.join(5_000);
        }
    }

    /**
     * Kills the postmaster with SIGKILL and binds its port as soon as it is free. The supervisor
     * starts PostgreSQL again at once; should it bind first, it is killed again and the race rerun.
     */
    private static Squatter killPostmasterAndTakeItsPort(Path dataDir, int port) throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
        for (int round = 0; round < 5; round++) {
            long postmaster = postmasterPid(dataDir);
            ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                try {
                    socket.bind(address);
                    return Squatter.on(socket);
                } catch (BindException e) {
                    socket.close();
                }
                long now = postmasterPid(dataDir);
                if (now > 0 && now != postmaster && ProcessHandle.of(now).map(ProcessHandle::isAlive).orElse(false)) {
                    Thread.sleep(2_000); // the supervisor won; let it finish starting, then kill that one
                    break;
                }
                Thread.sleep(1);
            }
        }
        return fail("could not take port " + port + " from the supervisor");
    }

    private static long postmasterPid(Path dataDir) {
        try {
            return Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(0).strip());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The first log line with both parts, say a failed attempt and why. */
    private static String awaitLine(BlockingQueue<String> log, String part, String why, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = log.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                return fail("no log line with \"" + part + "\" and \"" + why + "\" within " + seconds + " s");
            }
            if (line.contains(part) && line.contains(why)) {
                return line;
            }
        }
    }

    /** How many open files of this JVM are the library's lock file on the data directory (Linux). */
    private static long epgLockHandles(Path dataDir) throws IOException {
        Path lockFile = dataDir.toRealPath().resolve("postgres/epg-lock");
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(lockFile);
                } catch (IOException e) {
                    return false; // closed while listing
                }
            }).count();
        }
    }

    /** Waits until the row written before PostgreSQL died is read back through a fresh connection. */
    private static void awaitKeptRow(DatabaseSettings settings, Duration within, String what,
                                     java.util.function.Supplier<String> context) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT x FROM kept")) {
                rs.next();
                assertEquals(42, rs.getInt(1));
                return;
            } catch (SQLException e) {
                assertTrue(System.nanoTime() < deadline, what + ": " + e.getMessage() + context.get());
                Thread.sleep(200);
            }
        }
    }

    private static void assertDurableAndLocked(DatabaseSettings settings, Path dataDir) throws Exception {
        try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
             Statement s = c.createStatement()) {
            for (String setting : List.of("fsync", "synchronous_commit", "full_page_writes")) {
                try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
                    rs.next();
                    assertEquals("on", rs.getString(1), setting);
                }
            }
            try (ResultSet rs = s.executeQuery("SHOW password_encryption")) {
                rs.next();
                assertEquals("scram-sha-256", rs.getString(1));
            }
            // Every rule in force, the local socket's included, asks for a SCRAM password.
            List<String> rules = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT type, auth_method, coalesce(error, '') FROM pg_hba_file_rules")) {
                while (rs.next()) {
                    rules.add(rs.getString(1) + " " + rs.getString(2) + rs.getString(3));
                }
            }
            assertTrue(rules.contains("local scram-sha-256"), rules.toString());
            assertTrue(rules.stream().allMatch(r -> r.endsWith(" scram-sha-256")), rules.toString());
            try (ResultSet rs = s.executeQuery("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "the superuser's password is stored as a SCRAM verifier");
            }
        }

        Properties noPassword = new Properties();
        noPassword.setProperty("user", settings.user());
        SQLException refused = assertThrows(SQLException.class, () -> DriverManager.getConnection(settings.url(), noPassword).close());
        assertTrue(refused.getMessage().contains("password"), refused.getMessage());
        assertThrows(SQLException.class, () -> DriverManager.getConnection(settings.url(), settings.user(), "wrong").close());

        Path passwordFile = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
        assertEquals(settings.password(), Files.readString(passwordFile).strip());
        assertFalse(settings.password().isEmpty());
    }
}
