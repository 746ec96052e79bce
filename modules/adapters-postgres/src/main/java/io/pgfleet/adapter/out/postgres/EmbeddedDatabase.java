package io.pgfleet.adapter.out.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server started from binaries packaged in the jar, with its data kept in a
 * directory of its own so that a restart keeps everything.
 *
 * <p>It runs durable ({@code fsync}, {@code synchronous_commit}, {@code full_page_writes} on:
 * the embedded library's test defaults are overridden) and accepts only SCRAM password logins,
 * over TCP and over its local socket alike. The superuser's password is generated on the first
 * start and kept in {@code <data_dir>/postgres-password} (mode 0600); it is never logged.
 *
 * <p>The data directory belongs to one server process at a time ({@code <data_dir>/postgres.lock}).
 * A PostgreSQL still running on it once that lock is free was orphaned by a server that died
 * without stopping it (kill -9, OOM killer): it is stopped with a fast shutdown (its clients
 * disconnected, committed work kept) before the new one starts; PostgreSQL itself then recovers
 * from its write-ahead log whatever a crash left behind.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    /** The superuser's password file, relative to the server's data directory. */
    public static final String PASSWORD_FILE = "postgres-password";

    private static final System.Logger LOG = System.getLogger(EmbeddedDatabase.class.getName());
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    private static final Duration ORPHAN_STOP_WAIT = Duration.ofSeconds(60);
    private static final String HBA = """
            # Written by pgfleet at every start: SCRAM password logins only, never trust or peer.
            local   all   all                  scram-sha-256
            host    all   all   127.0.0.1/32   scram-sha-256
            host    all   all   ::1/128        scram-sha-256
            """;

    /** The longest pause between two attempts to start a PostgreSQL that died under the server. */
    private static final Duration MAX_RESTART_PAUSE = Duration.ofSeconds(30);

    /** The running PostgreSQL; replaced when it had to be started again. Guarded by {@code this}. */
    private EmbeddedPostgres postgres;
    private final Path pgData;
    private final int port;
    private final String password;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Set by {@link #close()}: from then on an exit of PostgreSQL is expected. Guarded by {@code this}. */
    private boolean closed;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path pgData, String password, FileChannel lockChannel, FileLock lock) {
        this.postgres = postgres;
        this.pgData = pgData;
        this.port = postgres.getPort();
        this.password = password;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Watches the postmaster: should it exit while the server runs (the OOM killer, a stray
     * {@code kill -9}), it is started again on the same port with the same data, so the pool's
     * URL stays valid and the server answers again by itself once PostgreSQL has recovered
     * (until then requests answer 503). Nothing else would start it: the server stays alive.
     */
    private void watchPostmaster() {
        long pid = postmasterPid(pgData);
        Optional<ProcessHandle> postmaster = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (postmaster.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "cannot watch the embedded PostgreSQL: no live process in "
                    + pgData.resolve("postmaster.pid"));
            return;
        }
        postmaster.get().onExit().thenRun(() -> Thread.ofPlatform().name("pgfleet-postgres-restart").daemon().start(
                () -> restartAfterExit(pid)));
    }

    private void restartAfterExit(long pid) {
        Duration pause = Duration.ofMillis(500);
        synchronized (this) {
            if (closed || jvmShuttingDown()) {
                return;
            }
            LOG.log(System.Logger.Level.ERROR, "the embedded PostgreSQL (pid " + pid + ") exited while the server was running;"
                    + " starting it again on port " + port + " (requests answer 503 until it is back)");
            try {
                postgres.close(); // releases the library's lock on the data directory; the process is gone already
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the exited PostgreSQL: " + e);
            }
        }
        while (true) {
            synchronized (this) {
                if (closed || jvmShuttingDown()) {
                    return;
                }
                try {
                    // The dead postmaster's postmaster.pid stays: PostgreSQL itself sees that its
                    // process is gone, and refuses to start while a backend of it still holds the
                    // shared memory (they follow the postmaster within moments); then it is tried again.
                    postgres = builder(pgData, port, password).start();
                    LOG.log(System.Logger.Level.WARNING, "the embedded PostgreSQL runs again on port " + port);
                    watchPostmaster();
                    return;
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "starting the embedded PostgreSQL again failed (next attempt in "
                            + pause.toMillis() + " ms): " + e);
                }
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            pause = pause.multipliedBy(2).compareTo(MAX_RESTART_PAUSE) > 0 ? MAX_RESTART_PAUSE : pause.multipliedBy(2);
        }
    }

    /**
     * Whether the JVM is exiting: the library's own shutdown hook stops PostgreSQL, possibly before
     * the server's hook reaches {@link #close()}; that exit is expected and must not be undone
     * (a PostgreSQL started then would outlive the server).
     */
    private static boolean jvmShuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    private static long postmasterPid(Path pgData) {
        try {
            List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            return lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Starts PostgreSQL on a free loopback port with its data under {@code dataDirectory/postgres}.
     *
     * @param dataDirectory the server's data directory (created when missing)
     * @return the running database
     * @throws UncheckedIOException when PostgreSQL cannot start
     */
    public static EmbeddedDatabase start(Path dataDirectory) {
        return start(dataDirectory, 0);
    }

    /**
     * Starts PostgreSQL on a given loopback port (0 for any free one) with its data under
     * {@code dataDirectory/postgres}, initialising it on the first start and stopping a
     * PostgreSQL orphaned on it by a server that died.
     *
     * @param dataDirectory the server's data directory (created when missing)
     * @param port          the port, 0 for any free port
     * @return the running database
     * @throws UncheckedIOException  when PostgreSQL cannot start
     * @throws IllegalStateException when another running server uses this data directory
     */
    public static EmbeddedDatabase start(Path dataDirectory, int port) {
        Path pgData = dataDirectory.resolve("postgres");
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDirectory);
            channel = FileChannel.open(dataDirectory.resolve("postgres.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process
            }
            if (lock == null) {
                throw new IllegalStateException("another pgfleet server is running on the data directory " + dataDirectory);
            }
            stopOrphan(pgData);
            Path restored = dataDirectory.resolve(DatabaseBackup.RESTORED);
            if (!Files.exists(pgData) && Files.isRegularFile(restored.resolve("PG_VERSION"))) {
                // A restore stopped between moving the old cluster aside and the new one into place.
                LOG.log(System.Logger.Level.INFO, "completing an interrupted restore: " + restored + " becomes " + pgData);
                move(restored, pgData);
            }
            Path passwordFile = dataDirectory.resolve(PASSWORD_FILE);
            boolean initialised = Files.exists(pgData.resolve("postgresql.conf"));
            if (!initialised) {
                initialise(dataDirectory, pgData, passwordFile);
            }
            // PostgreSQL refuses a data directory others may read (a copy or a restore that lost its
            // modes); it holds the signing keys, so closing it again is right, not just convenient.
            Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
            Optional<String> stored = readPassword(passwordFile);
            EmbeddedPostgres pg;
            String password;
            if (stored.isPresent()) {
                password = stored.get();
                // Whatever happened to the file since, only the server's user may read it.
                Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
                Files.writeString(pgData.resolve("pg_hba.conf"), HBA);
                pg = builder(pgData, port, password).start();
            } else {
                // A data directory from a version that ran with trust authentication: give the
                // superuser a password, then close the door.
                password = upgradeToPassword(pgData, port, passwordFile);
                pg = builder(pgData, port, password).start();
            }
            EmbeddedDatabase db = new EmbeddedDatabase(pg, pgData, password, channel, lock);
            db.watchPostmaster();
            return db;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + pgData
                    + "; set PGFLEET_DB_URL to use an existing PostgreSQL server instead", e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static EmbeddedPostgres.Builder builder(Path pgData, int port, String password) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                .setPGStartupWait(STARTUP_WAIT)
                // The library starts PostgreSQL with -F (fsync off) and synchronous_commit off, fit
                // for tests only; these come after -F on the command line and win.
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("password_encryption", "scram-sha-256")
                .setServerConfig("listen_addresses", "localhost")
                .setConnectConfig("password", password);
        if (port > 0) {
            builder.setPort(port);
        }
        return builder;
    }

    /**
     * Creates the cluster in a staging directory and moves it into place only once complete, so a
     * crash during the first start leaves nothing half-made behind.
     */
    private static void initialise(Path dataDirectory, Path pgData, Path passwordFile) throws IOException {
        Path staging = dataDirectory.resolve("postgres.initialising");
        // A server killed during its first start may have left PostgreSQL running on the staging copy.
        stopOrphan(staging);
        deleteTree(staging);
        // An uninitialised data directory (no postgresql.conf) holds no database.
        deleteTree(pgData);
        String password = readPassword(passwordFile).orElseGet(() -> {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        });
        writePassword(passwordFile, password);
        Files.createDirectories(staging);
        EmbeddedPostgres.Builder builder = builder(staging, 0, password)
                // initdb gets these after the library's own "-A trust": the later option wins.
                .setLocaleConfig("auth", "scram-sha-256")
                .setLocaleConfig("pwfile", passwordFile.toAbsolutePath().toString());
        builder.start().close();
        move(staging, pgData);
    }

    private static String upgradeToPassword(Path pgData, int port, Path passwordFile) throws IOException {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        try (EmbeddedPostgres pg = builder(pgData, port, "").start();
             Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("SET password_encryption = 'scram-sha-256'");
            // The statement text is not logged: log_statement stays at its default (none).
            s.execute("ALTER ROLE postgres PASSWORD '" + password + "'");
        } catch (SQLException e) {
            throw new IOException("cannot set the superuser's password: " + e.getMessage(), e);
        }
        writePassword(passwordFile, password);
        Files.writeString(pgData.resolve("pg_hba.conf"), HBA);
        return password;
    }

    private static Optional<String> readPassword(Path passwordFile) throws IOException {
        if (!Files.isRegularFile(passwordFile)) {
            return Optional.empty();
        }
        String text = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }

    private static void writePassword(Path passwordFile, String password) throws IOException {
        Path tmp = passwordFile.resolveSibling(passwordFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, password + "\n", StandardCharsets.UTF_8);
        try (FileChannel f = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            f.force(true);
        }
        move(tmp, passwordFile);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Stops a PostgreSQL still running on the data directory although no server holds its lock.
     * A {@code postmaster.pid} naming a process that is gone, or that is not PostgreSQL (its pid
     * reused after a reboot), is stale and removed; PostgreSQL would refuse to start otherwise.
     */
    private static void stopOrphan(Path pgData) throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
        long pid;
        try {
            pid = lines.isEmpty() ? -1 : Long.parseLong(lines.get(0).strip());
        } catch (NumberFormatException e) {
            pid = -1;
        }
        Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (process.isEmpty() || !process.get().isAlive() || !isPostgres(process.get())) {
            Files.deleteIfExists(pidFile);
            return;
        }
        ProcessHandle postmaster = process.get();
        LOG.log(System.Logger.Level.WARNING, "stopping the PostgreSQL (pid " + pid + ") left running on " + pgData
                + " by a server that did not stop it");
        // SIGINT = fast shutdown: clients are disconnected, a checkpoint is written.
        if (!signal(postmaster, "INT", ORPHAN_STOP_WAIT)) {
            // SIGQUIT = immediate shutdown: the next start recovers from the write-ahead log.
            if (!signal(postmaster, "QUIT", Duration.ofSeconds(10))) {
                throw new IllegalStateException("the PostgreSQL (pid " + pid + ") left running on " + pgData
                        + " does not stop; stop it and start again");
            }
        }
    }

    private static boolean isPostgres(ProcessHandle process) {
        return process.info().command().map(c -> c.endsWith("/postgres") || c.endsWith("/postmaster")).orElse(false);
    }

    private static boolean signal(ProcessHandle process, String signal, Duration wait) throws IOException {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            long deadline = System.nanoTime() + wait.toNanos();
            while (process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping an orphaned PostgreSQL", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the lock goes with the channel; nothing else to undo
            }
        }
    }

    /**
     * How to reach it.
     *
     * @param poolSize the connection pool size to use
     * @return the settings for the pool
     */
    public DatabaseSettings settings(int poolSize) {
        return new DatabaseSettings("jdbc:postgresql://localhost:" + port + "/postgres", "postgres",
                password, poolSize);
    }

    /**
     * The TCP port it listens on.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /** Stops PostgreSQL; the data stays. */
    @Override
    public synchronized void close() {
        closed = true;
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("stopping the embedded PostgreSQL failed", e);
        } finally {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel releases it too
            }
            closeQuietly(lockChannel);
        }
    }
}
