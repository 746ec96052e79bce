package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The file system holding the embedded PostgreSQL's data fills up (samples pile up, a log fills the
 * volume): the server says so, in words that send the operator to free space rather than to a backup
 * or another database, and PostgreSQL comes back by itself, with its data, once there is room.
 *
 * <p>A real full file system: a tmpfs of a few dozen MiB mounted for the test and filled to the
 * last byte. Mounting needs root, as the suite runs in CI; without it these tests fail (they do not
 * skip), saying so. A file-size limit ({@code ulimit -f}) would not do: PostgreSQL gets EFBIG and a
 * signal from it, not ENOSPC, and its replay and lock file writes take other paths.
 */
class DiskFullIT {

    @Test
    void aFullDiskUnderTheServerIsSaidAndPostgresComesBackByItselfWithItsDataOnceThereIsRoom(@TempDir Path dir)
            throws Exception {
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        Logger logger = Logger.getLogger(EmbeddedDatabase.class.getName());
        Handler capture = new CapturingHandler(log);
        logger.addHandler(capture);
        try (Tmpfs volume = Tmpfs.mount(dir.resolve("volume"), 96)) {
            Path dataDir = volume.path().resolve("data");
            try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
                DatabaseSettings settings = db.settings(2);
                keepARow(settings);
                Path filler = volume.fill();

                // The write-ahead log grows until it needs a new segment, which there is no room
                // for: PostgreSQL PANICs, and cannot replay its log on the full disk either.
                growTheLogUntilPostgresIsLost(settings);
                String failed = awaitLine(log, "starting the embedded PostgreSQL again failed", 120);
                assertTrue(failed.contains("the file system of " + dataDir.resolve("postgres") + " is full: free space on it"),
                        "the line says what is wrong and what to do: " + failed);
                assertTrue(failed.contains("No space left on device"), "in PostgreSQL's words too: " + failed);
                assertTrue(failed.contains("no restore"), "not a case for a backup: " + failed);
                assertFalse(failed.contains("corrupted"), "PostgreSQL's hint after an interrupted recovery is left out,"
                        + " as it is not so and a restore would lose what was stored since the backup: " + failed);

                // Room again: the next attempt brings it back, with what it had stored, without a restart.
                Files.delete(filler);
                awaitKeptRow(settings, Duration.ofSeconds(90), () -> "; log: " + log);
                awaitLine(log, "the embedded PostgreSQL runs again", 30);
            }
        } finally {
            logger.removeHandler(capture);
        }
    }

    @Test
    void aStartOnAFullDiskFailsWithOneLineSayingToFreeSpaceAndStartsOnceThereIsRoom(@TempDir Path dir) throws Exception {
        try (Tmpfs volume = Tmpfs.mount(dir.resolve("volume"), 96)) {
            Path dataDir = volume.path().resolve("data");
            EmbeddedDatabase.start(dataDir).close(); // the cluster exists: what follows is a plain start
            Path filler = volume.fill();

            ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of());

            assertEquals(1, run.exit(), "a failure systemd starts again (Restart=on-failure):\n" + run.output());
            assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot start the embedded"
                    + " PostgreSQL in " + dataDir.resolve("postgres") + ": the file system of " + dataDir + " is full (")
                    && l.contains("No space left on device") && l.contains("; free space on it and start again")),
                    "one line saying what is full and what to do:\n" + run.output());
            assertFalse(run.output().contains("PGFLEET_DB_URL"), "another database is not the remedy:\n" + run.output());
            assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
            assertFalse(run.output().contains("pgfleet server ready"), run.output());

            Files.delete(filler);
            try (ServerProcess server = ServerProcess.start(dataDir, Map.of())) {
                assertTrue(server.startOutput().contains("pgfleet server ready"), server.startOutput());
            }
        }
    }

    @Test
    void aFirstStartOnAFullDiskFailsSayingSoAndLeavesNothingBehindThatTakesRoom(@TempDir Path dir) throws Exception {
        try (Tmpfs volume = Tmpfs.mount(dir.resolve("volume"), 32)) {
            Path dataDir = volume.path().resolve("data");
            // Full to the last byte: not even the superuser's password file fits.
            Path filler = volume.fill();
            UncheckedIOException full = assertThrows(UncheckedIOException.class, () -> EmbeddedDatabase.start(dataDir));
            assertTrue(full.getMessage().contains("the file system of " + dataDir + " is full ("), full.getMessage());
            assertEquals(Set.of("postgres.lock"), names(dataDir), "no half-written password file is left");

            // Room for the password file, not for the cluster: initdb stops part-way, and what it wrote
            // is deleted at once rather than held, on the full disk, until the next start.
            Files.delete(filler);
            volume.fill(4 << 20);
            full = assertThrows(UncheckedIOException.class, () -> EmbeddedDatabase.start(dataDir));
            assertTrue(full.getMessage().contains("the file system of " + dataDir + " is full (initdb failed: "),
                    full.getMessage());
            assertEquals(Set.of("postgres.lock", EmbeddedDatabase.PASSWORD_FILE), names(dataDir),
                    "no half-made cluster is left, only the password the next start uses");
        }
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    /** Writes WAL that needs no table space until PostgreSQL is lost (it PANICs once no new segment fits). */
    private static void growTheLogUntilPostgresIsLost(DatabaseSettings settings) {
        try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
             Statement s = c.createStatement()) {
            // At most a few hundred MiB: the volume holds far fewer segments than that.
            for (int i = 0; i < 400; i++) {
                s.execute("SELECT pg_logical_emit_message(false, 'pgfleet-test', repeat('x', 1000000))");
            }
        } catch (SQLException e) {
            return; // the connection went with the PostgreSQL that PANICked
        }
        fail("PostgreSQL wrote 400 MB of log on a full volume of 96 MiB");
    }

    private static void keepARow(DatabaseSettings settings) throws SQLException {
        try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE kept (x int)");
            s.execute("INSERT INTO kept VALUES (42)");
        }
    }

    private static void awaitKeptRow(DatabaseSettings settings, Duration within, java.util.function.Supplier<String> context)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
                 Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT x FROM kept")) {
                rs.next();
                assertEquals(42, rs.getInt(1));
                return;
            } catch (SQLException e) {
                assertTrue(System.nanoTime() < deadline, "PostgreSQL is back once there is room: " + e.getMessage()
                        + context.get());
                Thread.sleep(200);
            }
        }
    }

    private static String awaitLine(BlockingQueue<String> log, String part, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String line = log.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null) {
                return fail("no log line with \"" + part + "\" within " + seconds + " s");
            }
            if (line.contains(part)) {
                return line;
            }
        }
    }

    /** A tmpfs of its own size, unmounted on close (whatever still runs on it has been stopped by then). */
    private record Tmpfs(Path path) implements AutoCloseable {

        static Tmpfs mount(Path at, int mebibytes) throws IOException, InterruptedException {
            Files.createDirectories(at);
            Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m", "tmpfs", at.toString())
                    .redirectErrorStream(true).start();
            String said = new String(mount.getInputStream().readAllBytes());
            if (mount.waitFor() != 0) {
                // Not a skip: CI runs as root, and a test that quietly stops testing hides the defect it guards.
                fail("cannot mount a tmpfs of " + mebibytes + " MiB on " + at + " (this test needs root, as in CI): " + said);
            }
            return new Tmpfs(at);
        }

        /** Fills the rest of the file system with one file, to the last byte it takes. */
        Path fill() throws IOException {
            return fill(0);
        }

        /** Fills the file system with one file but for {@code room} bytes. */
        Path fill(long room) throws IOException {
            Path filler = path.resolve("filler");
            try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int size : new int[] {1 << 20, 4096, 1}) {
                    ByteBuffer zeros = ByteBuffer.allocate(size);
                    try {
                        while (true) {
                            zeros.clear();
                            ch.write(zeros);
                        }
                    } catch (IOException full) {
                        if (!String.valueOf(full.getMessage()).contains("No space left on device")) {
                            throw full;
                        }
                    }
                }
            }
            assertEquals(0, Files.getFileStore(path).getUsableSpace(), "the volume is full");
            if (room > 0) {
                try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.WRITE)) {
                    ch.truncate(ch.size() - room);
                }
            }
            return filler;
        }

        @Override
        public void close() throws IOException, InterruptedException {
            if (new ProcessBuilder("umount", path.toString()).inheritIO().start().waitFor() != 0) {
                new ProcessBuilder("umount", "-l", path.toString()).inheritIO().start().waitFor();
            }
        }
    }
}
