package io.pgfleet.adapter.out.postgres;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
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
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 *
 * <p>It listens on {@code 127.0.0.1} only: were it to listen on {@code localhost}, a port taken on
 * the IPv4 loopback would leave it running on {@code ::1} alone, where the pool (which reaches
 * {@code 127.0.0.1}) never finds it.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    /** The superuser's password file, relative to the server's data directory. */
    public static final String PASSWORD_FILE = "postgres-password";

    private static final System.Logger LOG = System.getLogger(EmbeddedDatabase.class.getName());
    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    /** PostgreSQL's SQLSTATE for a password it refuses. */
    private static final String INVALID_PASSWORD = "28P01";
    private static final Duration ORPHAN_STOP_WAIT = Duration.ofSeconds(60);
    private static final String HBA = """
            # Written by pgfleet at every start: SCRAM password logins only, never trust or peer.
            local   all   all                  scram-sha-256
            host    all   all   127.0.0.1/32   scram-sha-256
            host    all   all   ::1/128        scram-sha-256
            """;

    /**
     * PostgreSQL's settings, for every start the server runs with pg_ctl and for the one-off start
     * through the library that gives a data directory from the trust days its password. The library
     * starts PostgreSQL with -F (fsync off) and synchronous_commit off, fit for tests only; these
     * come after -F on its command line and win.
     *
     * <p>PostgreSQL's log is echoed into the server's, which operators ship to log systems: a failing
     * statement's lines must not carry row data there. Its STATEMENT line holds the statement's literal
     * values, so none is written ({@code panic}); its DETAIL and CONTEXT are left out of sessions'
     * errors by {@link #SESSION_CONFIG}.
     */
    private static final Map<String, String> SERVER_CONFIG = Map.of(
            "timezone", "UTC",
            "max_connections", "300",
            "fsync", "on",
            "synchronous_commit", "on",
            "full_page_writes", "on",
            "password_encryption", "scram-sha-256",
            "listen_addresses", LOOPBACK,
            "log_min_error_statement", "panic");

    /**
     * Settings of every session ({@code ALTER ROLE ALL SET}, made at every start). A failing
     * statement's DETAIL and CONTEXT quote the row ("Failing row contains (…)", "Key (username)=(…)
     * already exists", a COPY line with a password hash): {@code terse} keeps the error itself (what
     * failed, on which table and constraint) in the log. Not for the whole server: PostgreSQL's own
     * complaints at start need their detail ("The data directory was initialized by PostgreSQL
     * version …"), and hold no rows.
     */
    private static final Map<String, String> SESSION_CONFIG = Map.of("log_error_verbosity", "terse");

    /** The first pause between two attempts to start a PostgreSQL that died under the server. */
    private static final Duration FIRST_RESTART_PAUSE = Duration.ofMillis(500);
    /** The longest pause between two attempts to start a PostgreSQL that died under the server. */
    private static final Duration MAX_RESTART_PAUSE = Duration.ofSeconds(30);
    /**
     * PostgreSQL's and the operating system's words for a file system that is full (ENOSPC), or a
     * quota that is spent (EDQUOT), and PostgreSQL's hint after a write cut short ("wrote only 4096
     * of 8192 bytes … HINT: Check free disk space.").
     */
    private static final Pattern DISK_FULL = Pattern.compile(
            "No space left on device|Disk quota exceeded|Check free disk space", Pattern.CASE_INSENSITIVE);

    private final Path pgData;
    private final int port;
    private final String password;
    /** The embedded binaries' pg_ctl: every start and stop of PostgreSQL runs it. */
    private final Path pgCtl;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Stops PostgreSQL when the JVM exits. */
    private final Thread shutdownHook;
    /** Set by {@link #close()}: from then on an exit of PostgreSQL is expected. Guarded by {@code this}. */
    private boolean closed;
    /** The log of the PostgreSQL running now, echoed into the server's. Guarded by {@code this}. */
    private PostgresOutput output;

    private EmbeddedDatabase(Path pgCtl, Path pgData, int port, String password, FileChannel lockChannel, FileLock lock,
                             PostgresOutput output) {
        this.pgCtl = pgCtl;
        this.output = output;
        this.pgData = pgData;
        this.port = port;
        this.password = password;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.shutdownHook = new Thread(this::closeAtExit, "pgfleet-postgres-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
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
        Duration pause = FIRST_RESTART_PAUSE;
        synchronized (this) {
            if (closed || jvmShuttingDown()) {
                return;
            }
            // A full disk is the one cause the operator must act on, and PostgreSQL's last words say
            // it (PANIC: could not write to file "pg_wal/…": No space left on device).
            String why = output == null ? "" : output.diskFull()
                    .map(said -> " because " + fullFileSystem(pgData) + " (" + said + ")").orElse("");
            LOG.log(System.Logger.Level.ERROR, "the embedded PostgreSQL (pid " + pid + ") exited while the server was running"
                    + why + "; starting it again on port " + port + " (requests answer 503 until it is back)");
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
                    // The log of the PostgreSQL that died ends by itself once its last process is gone.
                    output = startPostgres(pgCtl, pgData, port, password);
                    LOG.log(System.Logger.Level.WARNING, "the embedded PostgreSQL runs again on port " + port);
                    watchPostmaster();
                    return;
                } catch (IOException e) {
                    // On a full disk PostgreSQL cannot even replay its log, and prefixes the next try
                    // with a hint that data is corrupted and a backup needed: neither is so, and a
                    // restore would lose what was stored since the backup. Say what to do instead.
                    String advice = diskFull(String.valueOf(e.getMessage())) ? fullFileSystem(pgData)
                            + ": free space on it, and PostgreSQL is started again by itself and recovers everything"
                            + " it acknowledged from its log (no restore, no restart of the server needed); " : "";
                    LOG.log(System.Logger.Level.ERROR, "starting the embedded PostgreSQL again failed (next attempt in "
                            + pause.toMillis() + " ms): " + advice + e.getMessage());
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
     * One attempt to start PostgreSQL on its port, at the server's start or after it died. A failed
     * attempt leaves nothing behind: no lock (pg_ctl takes none), no process (a PostgreSQL it left
     * starting is stopped), so the next attempt starts from where this one did.
     *
     * <p>pg_ctl writes into a pipe read by {@code cat}, not into one of the JVM's: the PostgreSQL it
     * starts inherits the pipe and writes its log there for as long as it runs, while the JVM closes
     * its end of a process's output as soon as that process (pg_ctl) exits, and PostgreSQL's log
     * after the start was lost. {@code cat} holds the pipe until its last writer (the postmaster and
     * its children) is gone, and the server reads what it passes on.
     *
     * @return the log of the PostgreSQL now running, echoed into the server's until it stops
     * @throws IOException why it did not start, with PostgreSQL's own words when it said any
     */
    private static PostgresOutput startPostgres(Path pgCtl, Path pgData, int port, String password) throws IOException {
        Path cat = relay();
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder(pgCtl(pgCtl, "-D", pgData.toString(), "-o", postgresOptions(port),
                        "-w", "-t", Long.toString(STARTUP_WAIT.toSeconds()), "start")).redirectErrorStream(true),
                new ProcessBuilder(cat.toString()).redirectError(ProcessBuilder.Redirect.DISCARD)));
        Process process = pipeline.get(0);
        PostgresOutput output = new PostgresOutput(pipeline.get(1));
        try {
            // pg_ctl -w exits as soon as the postmaster is ready or has exited (a port taken, a
            // broken data directory): no waiting out the start-up time for a PostgreSQL that is gone.
            boolean exited = process.waitFor(STARTUP_WAIT.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
            if (!exited || process.exitValue() != 0) {
                process.destroyForcibly();
                stopHalfStarted(pgData);
                output.end(Duration.ofSeconds(2)); // the last lines are in the pipe before PostgreSQL's exit
                throw new IOException("PostgreSQL did not start: " + output.reason());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            stopHalfStarted(pgData);
            output.end(Duration.ZERO);
            throw new IOException("interrupted while starting PostgreSQL", e);
        }
        try {
            answers(port, password);
        } catch (SQLException e) {
            stopHalfStarted(pgData);
            output.end(Duration.ofSeconds(2));
            if (INVALID_PASSWORD.equals(e.getSQLState())) {
                throw new PasswordRefused(e);
            }
            throw new IOException("PostgreSQL started but does not answer on " + LOOPBACK + ":" + port + ": "
                    + e.getMessage(), e);
        }
        return output;
    }

    /**
     * A pg_ctl command line run the way the library runs its own: as root (a container), in a user
     * namespace of its own ({@code unshare -U}), as PostgreSQL refuses to run as root.
     */
    private static List<String> pgCtl(Path pgCtl, String... arguments) {
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.addAll(List.of("unshare", "-U"));
        }
        command.add(pgCtl.toString());
        command.addAll(List.of(arguments));
        return command;
    }

    /**
     * The {@code cat} that passes PostgreSQL's log on, found on PATH before pg_ctl is started: a
     * pipeline whose {@code cat} cannot run kills its pg_ctl, which may have started PostgreSQL by then.
     *
     * @throws IOException when there is none, saying what is missing and where it was looked for
     */
    private static Path relay() throws IOException {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path cat = Path.of(dir, "cat");
                if (Files.isRegularFile(cat) && Files.isExecutable(cat)) {
                    return cat;
                }
            }
        }
        throw new IOException("cat (coreutils), which passes PostgreSQL's log on to the server, is not found on PATH ("
                + path + "): install coreutils or start the server with its directory on PATH");
    }

    /** The options pg_ctl passes to postgres: the port and {@link #SERVER_CONFIG}. */
    private static String postgresOptions(int port) {
        List<String> options = new ArrayList<>(List.of("-p", Integer.toString(port)));
        SERVER_CONFIG.forEach((key, value) -> options.add("-c " + key + "=" + value));
        return String.join(" ", options);
    }

    /** Connects the way the pool does, with timeouts: whatever else might hold the port never answers as PostgreSQL. */
    private static void answers(int port, String password) throws SQLException {
        try (Connection c = connect(port, password); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
        }
    }

    /** A connection as the superuser, with timeouts. */
    private static Connection connect(int port, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "10");
        properties.setProperty("loginTimeout", "10");
        return new org.postgresql.Driver().connect(url(port), properties);
    }

    /**
     * Gives every session {@link #SESSION_CONFIG}, from the next one on; kept in the cluster, made
     * again at every start (a cluster from an older version, a restored one). PostgreSQL is stopped
     * when it cannot be done: it would run logging rows.
     */
    private static void configureSessions(Path pgData, int port, String password) throws IOException {
        try (Connection c = connect(port, password); Statement s = c.createStatement()) {
            for (Map.Entry<String, String> setting : SESSION_CONFIG.entrySet()) {
                s.execute("ALTER ROLE ALL SET " + setting.getKey() + " = '" + setting.getValue() + "'");
            }
        } catch (SQLException e) {
            stopHalfStarted(pgData);
            throw new IOException("cannot configure the sessions of PostgreSQL: " + e.getMessage(), e);
        }
    }

    /**
     * Stops a PostgreSQL a failed attempt left on the data directory (still starting when pg_ctl
     * gave up, or not answering): immediate shutdown, as it holds nothing worth a checkpoint.
     */
    private static void stopHalfStarted(Path pgData) {
        long pid = postmasterPid(pgData);
        Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        if (process.isEmpty() || !process.get().isAlive() || !isPostgres(process.get())) {
            return; // it exited by itself, which is what a failed start mostly does
        }
        LOG.log(System.Logger.Level.WARNING, "stopping the PostgreSQL (pid " + pid + ") a failed start left running");
        try {
            if (!signal(process.get(), "QUIT", Duration.ofSeconds(10))) {
                signal(process.get(), "KILL", Duration.ofSeconds(5));
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the PostgreSQL a failed start left running: " + e.getMessage());
        }
    }

    /**
     * The output of pg_ctl and of the PostgreSQL it starts (which writes to the same pipe), or of
     * initdb: logged line by line ({@code postgres: …}), the last lines kept to say why a start failed.
     *
     * <p>PostgreSQL must never wait for the server's log: a backend writing its log into a full pipe
     * would stop serving. The pipe is read at once, always: a line longer than {@link #LONGEST_LINE}
     * bytes is cut (the rest of it skipped), and lines wait for the logger in a queue of at most
     * {@link #WAITING}; when the log does not keep up (a stalled journal) further lines are dropped
     * and counted, and the count is logged once it catches up.
     */
    private static final class PostgresOutput {
        private static final int KEPT = 40;
        /** The longest line logged, in bytes; PostgreSQL's own lines are far shorter. */
        static final int LONGEST_LINE = 8192;
        /** The most lines waiting for the logger. */
        static final int WAITING = 4096;
        /** Put after the last line: an instance of its own, told apart from any line by identity. */
        private static final String END = new String("end of PostgreSQL's output");
        /** What PostgreSQL prefixes its lines with ({@code 2026-12-01 22:04:37.797 UTC [24563] }), pg_ctl's dots, single-user mode's prompts. */
        private static final Pattern PREFIX = Pattern.compile(
                "^(?:waiting for server to start\\.*)?(?:backend> ?)*(?:\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)? \\S+ \\[\\d+\\] )?");
        private static final Pattern COMPLAINT = Pattern.compile("(?:FATAL|PANIC|ERROR|DETAIL|HINT):");
        /** An ordinary line that says what is wrong (a setting's value, a file it cannot read, a port taken). */
        private static final Pattern TELLING_LOG = Pattern.compile(
                "could not|invalid|syntax error|unrecognized|denied|out of memory|no space", Pattern.CASE_INSENSITIVE);
        private final Deque<String> last = new ArrayDeque<>();
        private final BlockingQueue<String> waiting = new ArrayBlockingQueue<>(WAITING);
        private final AtomicLong dropped = new AtomicLong();
        /** What passes PostgreSQL's output on ({@code cat}), if not the process itself (initdb). */
        private final Optional<Process> relay;
        private final Thread reader;
        private final Thread writer;

        /** Follows what {@code relay} passes on from the pipe PostgreSQL writes into. */
        PostgresOutput(Process relay) {
            this(relay.getInputStream(), Optional.of(relay));
        }

        /** Follows the output of a process that ends with its children (initdb). */
        PostgresOutput(InputStream output) {
            this(output, Optional.empty());
        }

        private PostgresOutput(InputStream output, Optional<Process> relay) {
            this.relay = relay;
            this.reader = Thread.ofPlatform().name("pgfleet-postgres-output").daemon().start(() -> follow(output));
            this.writer = Thread.ofPlatform().name("pgfleet-postgres-log").daemon().start(this::log);
        }

        private void follow(InputStream output) {
            byte[] line = new byte[LONGEST_LINE];
            int length = 0;
            boolean cut = false;
            byte[] chunk = new byte[8192];
            try (output) {
                int n;
                while ((n = output.read(chunk)) >= 0) {
                    for (int i = 0; i < n; i++) {
                        byte b = chunk[i];
                        if (b == '\n') {
                            line(line, length, cut);
                            length = 0;
                            cut = false;
                        } else if (length < line.length) {
                            line[length++] = b;
                        } else {
                            cut = true;
                        }
                    }
                }
            } catch (IOException e) {
                // the pipe is gone with its processes: nothing more to tell
            } finally {
                if (length > 0 || cut) {
                    line(line, length, cut);
                }
                try {
                    waiting.put(END); // PostgreSQL has stopped writing: waiting for the logger holds nothing up
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private void line(byte[] bytes, int length, boolean cut) {
            int end = length;
            if (cut) {
                // Not half a character: back to the start of the last one, kept only if complete.
                int start = end - 1;
                while (start > 0 && (bytes[start] & 0xC0) == 0x80) {
                    start--;
                }
                int size = (bytes[start] & 0xE0) == 0xC0 ? 2 : (bytes[start] & 0xF0) == 0xE0 ? 3 : (bytes[start] & 0xF8) == 0xF0 ? 4 : 1;
                if (start + size > end) {
                    end = start;
                }
            }
            String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
            if (cut) {
                text += " … (cut: longer than " + LONGEST_LINE + " bytes)";
            }
            synchronized (last) {
                if (last.size() == KEPT) {
                    last.removeFirst();
                }
                last.addLast(text);
            }
            if (!waiting.offer(text)) {
                dropped.incrementAndGet();
            }
        }

        private void log() {
            try {
                while (true) {
                    String line = waiting.take();
                    if (line == END) {
                        reportDropped();
                        return;
                    }
                    LOG.log(System.Logger.Level.INFO, "postgres: " + line);
                    if (waiting.isEmpty()) {
                        reportDropped();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void reportDropped() {
            long n = dropped.getAndSet(0);
            if (n > 0) {
                LOG.log(System.Logger.Level.WARNING, n + " line(s) of PostgreSQL's log dropped: the server's log did not"
                        + " keep up (at most " + WAITING + " lines wait for it)");
            }
        }

        /** A line without its time stamp and process id: what PostgreSQL said. */
        private static String words(String line) {
            Matcher m = PREFIX.matcher(line);
            return (m.lookingAt() ? line.substring(m.end()) : line).strip().replaceAll("\\s{2,}", " ");
        }

        /**
         * Waits (at most {@code wait}) for the output to end, which it does once every process writing
         * into it is gone, and for its lines to be logged; then stops following it, its relay gone,
         * so that none outlives the server. Its last lines are then in {@link #reason()}.
         */
        void end(Duration wait) {
            long deadline = System.nanoTime() + wait.toNanos();
            try {
                reader.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                writer.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                relay.ifPresent(cat -> {
                    // Ended with its output, else (a writer left that should not be) ended now; gone either way.
                    try {
                        if (Thread.currentThread().isInterrupted()
                                || !cat.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                            cat.destroy();
                            cat.waitFor(1, TimeUnit.SECONDS);
                        }
                    } catch (InterruptedException e) {
                        cat.destroy();
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }

        /** The last line of those kept that says the file system is full, in PostgreSQL's words. */
        Optional<String> diskFull() {
            synchronized (last) {
                return last.reversed().stream().map(PostgresOutput::words)
                        .filter(l -> DISK_FULL.matcher(l).find() && !l.startsWith("HINT:")).findFirst();
            }
        }

        /** Whether PostgreSQL said an error (a statement it refused, one it could not run). */
        boolean complained() {
            synchronized (last) {
                return last.stream().map(PostgresOutput::words).anyMatch(l -> l.matches("^(?:FATAL|PANIC|ERROR):.*"));
            }
        }

        /** PostgreSQL's complaints (a bind that failed, a FATAL and its detail), else its last words. */
        String reason() {
            synchronized (last) {
                List<String> telling = last.stream()
                        .filter(l -> !l.startsWith("pg_ctl:"))
                        .map(PostgresOutput::words)
                        .filter(l -> COMPLAINT.matcher(l).lookingAt() || TELLING_LOG.matcher(l).find())
                        .distinct()
                        .toList();
                if (telling.stream().anyMatch(l -> DISK_FULL.matcher(l).find())) {
                    // PostgreSQL's hint after a recovery that was cut short, here by the full disk
                    // ("This probably means that some data is corrupted and you will have to use the
                    // last backup for recovery"): not so, the recovery needs room, not a backup.
                    telling = telling.stream().filter(l -> !l.contains("data is corrupted")).toList();
                }
                List<String> chosen = telling.isEmpty() ? last.stream().skip(Math.max(0, last.size() - 3)).toList() : telling;
                return chosen.isEmpty() ? "pg_ctl said nothing" : String.join("; ", chosen);
            }
        }
    }

    /**
     * Whether the JVM is exiting: a shutdown hook may stop PostgreSQL before the server's hook
     * reaches {@link #close()}; that exit is expected and must not be undone (a PostgreSQL started
     * then would outlive the server).
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
            try {
                Files.createDirectories(dataDirectory);
                channel = FileChannel.open(dataDirectory.resolve("postgres.lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
            } catch (IOException e) {
                // The data directory itself, not PostgreSQL: say why (the exceptions' own messages
                // are often the bare path) and point at the setting.
                throw new UncheckedIOException("cannot use the data directory " + dataDirectory + ": " + why(e)
                        + "; set data_dir (PGFLEET_DATA_DIR) to a directory the server's user may write, or db_url"
                        + " (PGFLEET_DB_URL) to use an existing PostgreSQL server instead", e);
            }
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
            Path bin = binaries();
            boolean initialised = Files.exists(pgData.resolve("postgresql.conf"));
            if (!initialised) {
                initialise(bin, dataDirectory, pgData, passwordFile);
            }
            // PostgreSQL refuses a data directory others may read (a copy or a restore that lost its
            // modes); it holds the signing keys, so closing it again is right, not just convenient.
            Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
            Optional<String> stored = readPassword(passwordFile);
            int chosen = port > 0 ? port : rememberedOrFreePort(dataDirectory);
            requireFree(chosen);
            String password;
            if (stored.isPresent()) {
                password = stored.get();
                // Whatever happened to the file since, only the server's user may read it.
                Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
                Files.writeString(pgData.resolve("pg_hba.conf"), HBA);
            } else {
                // No password to log in with: a data directory from a version that ran with trust
                // authentication, or one whose file was deleted or emptied (a cleanup, a copy that
                // left it out). Only the data directory's owner can log in without one, in
                // PostgreSQL's single-user mode: give the superuser a new password that way, keep
                // it, then close the door. Asking the cluster over TCP with no password would be
                // refused by a cluster that has one, after the library's whole start-up wait.
                password = newPassword(bin, pgData, passwordFile);
            }
            // Run with pg_ctl, as a start after PostgreSQL died is: pg_ctl -w exits as soon as
            // PostgreSQL is ready or has exited, so a PostgreSQL that cannot start (a damaged data
            // directory, a broken postgresql.conf, no shared memory) fails the start at once, in
            // its own words. The library would wait out its whole start-up time, then say only that
            // it gave up.
            PostgresOutput output;
            try {
                output = startPostgres(bin.resolve("pg_ctl"), pgData, chosen, password);
            } catch (PasswordRefused e) {
                // No other database is the remedy: the file is this cluster's, and the start can make a new one.
                throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + pgData + ": it refuses the"
                        + " superuser's password kept in " + passwordFile + " (the file was changed or replaced); delete"
                        + " the file and start again: the start then gives the superuser a new password and keeps it"
                        + " there", e);
            }
            try {
                configureSessions(pgData, chosen, password);
            } catch (IOException e) {
                output.end(Duration.ofSeconds(2)); // it was stopped
                throw e;
            }
            EmbeddedDatabase db = new EmbeddedDatabase(bin.resolve("pg_ctl"), pgData, chosen, password, channel, lock, output);
            db.watchPostmaster();
            return db;
        } catch (IOException e) {
            closeQuietly(channel);
            String said = e instanceof FileSystemException f && f.getFile() != null ? f.getFile() + ": " + why(e) : why(e);
            if (diskFull(said)) {
                // Another database is not the remedy for a full disk: room on this one is.
                throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + pgData + ": "
                        + fullFileSystem(dataDirectory) + " (" + said + "); free space on it and start again"
                        + " (PostgreSQL recovers what it stored by itself), or move data_dir (PGFLEET_DATA_DIR) to a"
                        + " larger file system", e);
            }
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + pgData + ": " + said
                    + "; set PGFLEET_DB_URL to use an existing PostgreSQL server instead", e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /**
     * The SCRAM-SHA-256 verifier PostgreSQL stores for a password ({@code SCRAM-SHA-256$4096:salt$StoredKey:ServerKey},
     * RFC 5802 and 7677), which {@code ALTER ROLE … PASSWORD} takes as it is: the statement then holds
     * no password, whatever logs it. The password is ASCII, which SASLprep leaves as it is.
     */
    static String scramVerifier(String password) {
        int iterations = 4096;
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        try {
            byte[] salted = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new javax.crypto.spec.PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(salted, "HmacSHA256"));
            byte[] clientKey = mac.doFinal("Client Key".getBytes(StandardCharsets.US_ASCII));
            byte[] serverKey = mac.doFinal("Server Key".getBytes(StandardCharsets.US_ASCII));
            byte[] storedKey = java.security.MessageDigest.getInstance("SHA-256").digest(clientKey);
            Base64.Encoder b64 = Base64.getEncoder();
            return "SCRAM-SHA-256$" + iterations + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey) + ":"
                    + b64.encodeToString(serverKey);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("SCRAM-SHA-256 is not available in this JVM", e);
        }
    }

    /** PostgreSQL started and refused the superuser's password the server holds. */
    private static final class PasswordRefused extends IOException {
        private static final long serialVersionUID = 1L;

        PasswordRefused(SQLException cause) {
            super("PostgreSQL refuses the superuser's password: " + cause.getMessage(), cause);
        }
    }

    /** Whether these words (PostgreSQL's, or an I/O failure's) say that the file system is full. */
    private static boolean diskFull(String said) {
        return DISK_FULL.matcher(said).find();
    }

    /** The line telling the operator which file system to free space on. */
    private static String fullFileSystem(Path directory) {
        return "the file system of " + directory + " is full";
    }

    /** Why a file operation failed, in words: a {@link FileSystemException}'s message may be only its path. */
    private static String why(IOException e) {
        return switch (e) {
            case java.nio.file.FileAlreadyExistsException x -> "it exists and is not a directory";
            case java.nio.file.NoSuchFileException x -> "no such file or directory";
            case java.nio.file.AccessDeniedException x -> "permission denied (the server runs as "
                    + System.getProperty("user.name") + ")";
            case FileSystemException x when x.getReason() != null -> x.getReason();
            default -> e.getMessage() == null ? e.toString() : e.getMessage();
        };
    }

    /**
     * The directory of the embedded PostgreSQL binaries, unpacked by the library (once per machine,
     * under {@code java.io.tmpdir/embedded-pg}) without starting anything. The library offers no
     * public way to unpack them alone; its own unpacking is called, so the binaries and where they
     * go stay the library's.
     */
    private static Path binaries() throws IOException {
        File unpacked;
        try {
            var prepare = EmbeddedPostgres.class.getDeclaredMethod("prepareBinaries", PgBinaryResolver.class, File.class);
            prepare.setAccessible(true);
            unpacked = (File) prepare.invoke(null, DefaultPostgresBinaryResolver.INSTANCE, null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IOException("cannot unpack the PostgreSQL binaries: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot find the PostgreSQL binaries in the embedded library: " + e, e);
        }
        Path bin = unpacked.toPath().resolve("bin");
        if (!Files.isExecutable(bin.resolve("pg_ctl")) || !Files.isExecutable(bin.resolve("initdb"))) {
            throw new IOException("the PostgreSQL binaries in " + unpacked + " are incomplete (no executable pg_ctl or initdb)");
        }
        return bin;
    }

    /** The file that keeps the port PostgreSQL was last started on, so that it keeps it over restarts. */
    public static final String PORT_FILE = "postgres-port";

    /**
     * The port PostgreSQL ran on before, when it is free, else a free one, kept for the next start.
     *
     * <p>An agent that monitors the server's own PostgreSQL (as the demo's does, and an operator's
     * may) names it by port in its configuration: a new port at every start of the server would cut
     * it off its database until a version naming the new one is published. So the first start takes
     * a free port and every later one takes it again; only when another process holds it meanwhile
     * does PostgreSQL move, and the log says so. Nothing depends on the file for safety: a missing,
     * unreadable or damaged one means a free port, and one that cannot be written (a full disk) only
     * means the next start chooses again.
     */
    private static int rememberedOrFreePort(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve(PORT_FILE);
        Optional<Integer> remembered = Optional.empty();
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (text.matches("[1-9][0-9]{0,4}") && Integer.parseInt(text) <= 65_535) {
                remembered = Optional.of(Integer.parseInt(text));
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // The first start (or one of a release before this one): a free port.
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read " + file + " (" + why(e) + "): the embedded PostgreSQL"
                    + " takes a free port");
        } catch (UncheckedIOException e) {
            // Not ASCII: damaged, as good as missing.
            LOG.log(System.Logger.Level.WARNING, file + " is damaged: the embedded PostgreSQL takes a free port");
        }
        if (remembered.isPresent()) {
            try {
                requireFree(remembered.get());
                return remembered.get();
            } catch (IOException e) {
                int moved = freePort();
                LOG.log(System.Logger.Level.WARNING, "port " + remembered.get() + " on " + LOOPBACK + ", where the embedded"
                        + " PostgreSQL ran before, is taken by another process: it runs on port " + moved + " from now on"
                        + " (an agent that monitors it by port needs a version naming the new one)");
                remember(file, moved);
                return moved;
            }
        }
        int chosen = freePort();
        remember(file, chosen);
        return chosen;
    }

    private static void remember(Path file, int port) {
        Path partial = file.resolveSibling(PORT_FILE + ".partial");
        try {
            Files.writeString(partial, port + "\n", StandardCharsets.US_ASCII);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // Left for the next write to replace.
            }
            LOG.log(System.Logger.Level.WARNING, "cannot keep the embedded PostgreSQL's port in " + file + " (" + why(e)
                    + "): the next start may choose another");
        }
    }

    /** A loopback port free now, for PostgreSQL to take in a moment. */
    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return probe.getLocalPort();
        }
    }

    /**
     * Refuses at once a port another process listens on, saying so: PostgreSQL would exit for want
     * of it with a less plain message. PostgreSQL binds with SO_REUSEADDR, so does this probe: a
     * port in TIME_WAIT is free.
     */
    private static void requireFree(int port) throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port));
        } catch (IOException e) {
            throw new IOException("port " + port + " on " + LOOPBACK + " is taken by another process (" + e.getMessage()
                    + "); free it or choose another port", e);
        }
    }

    /**
     * Creates the cluster in a staging directory and moves it into place only once complete, so a
     * crash during the first start leaves nothing half-made behind.
     */
    private static void initialise(Path bin, Path dataDirectory, Path pgData, Path passwordFile) throws IOException {
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
        // As the library runs it, but with SCRAM passwords from the start, never trust.
        Process initdb = new ProcessBuilder(pgCtl(bin.resolve("initdb"), "-A", "scram-sha-256",
                "--pwfile=" + passwordFile.toAbsolutePath(), "-U", "postgres", "-D", staging.toString(), "-E", "UTF-8"))
                .redirectErrorStream(true).start();
        PostgresOutput output = new PostgresOutput(initdb.getInputStream());
        try {
            if (!initdb.waitFor(STARTUP_WAIT.toMillis(), TimeUnit.MILLISECONDS) || initdb.exitValue() != 0) {
                initdb.destroyForcibly();
                output.end(Duration.ofSeconds(2));
                // Not left for the next start to delete: on a full disk it holds the room that is missing.
                deleteTree(staging);
                throw new IOException("initdb failed: " + output.reason());
            }
            output.end(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            initdb.destroyForcibly();
            output.end(Duration.ZERO);
            throw new IOException("interrupted while creating the cluster", e);
        }
        move(staging, pgData);
    }

    /**
     * Gives the superuser a new password in PostgreSQL's single-user mode (no network, no
     * authentication: whoever owns the data directory), then keeps it in {@code passwordFile}. Set
     * first, kept second: a failure in between leaves the file missing, and the next start sets
     * another, where the other order would leave a file the cluster refuses.
     */
    private static String newPassword(Path bin, Path pgData, Path passwordFile) throws IOException {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        // The statement goes through standard input, never the command line (ps would show it). The
        // backend's output goes to the server's log, and the cluster's postgresql.conf may log every
        // statement (log_statement, a duration threshold, sampling) or parse tree: the statement
        // carries only the password's SCRAM verifier, and the command line turns statement logging off.
        Process single = new ProcessBuilder(pgCtl(bin.resolve("postgres"), "--single", "-D", pgData.toString(),
                "-c", "password_encryption=scram-sha-256", "-c", "log_statement=none",
                "-c", "log_min_duration_statement=-1", "-c", "log_min_duration_sample=-1",
                "-c", "log_transaction_sample_rate=0", "-c", "log_min_error_statement=panic",
                "-c", "debug_print_parse=off", "-c", "debug_print_rewritten=off", "-c", "debug_print_plan=off",
                "postgres")).redirectErrorStream(true).start();
        PostgresOutput output = new PostgresOutput(single.getInputStream());
        try {
            try (var in = single.getOutputStream()) {
                in.write(("ALTER ROLE postgres PASSWORD '" + scramVerifier(password) + "'\n")
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // It exited before reading (a cluster it cannot open): its output says why.
            }
            if (!single.waitFor(STARTUP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                single.destroyForcibly();
                output.end(Duration.ofSeconds(2));
                throw new IOException("cannot give the superuser a new password (PostgreSQL's single-user mode did not"
                        + " end within " + STARTUP_WAIT.toSeconds() + " s)");
            }
            output.end(Duration.ofSeconds(2));
            if (single.exitValue() != 0 || output.complained()) {
                throw new IOException("cannot give the superuser a new password: " + output.reason());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            single.destroyForcibly();
            output.end(Duration.ZERO);
            throw new IOException("interrupted while giving the superuser a new password", e);
        }
        writePassword(passwordFile, password);
        Files.writeString(pgData.resolve("pg_hba.conf"), HBA);
        LOG.log(System.Logger.Level.WARNING, passwordFile + " was missing or empty: the superuser of the embedded"
                + " PostgreSQL was given a new password, kept there from now on (an agent that reads it with"
                + " password_file reads the new one at its next connection)");
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
        try {
            Files.writeString(tmp, password + "\n", StandardCharsets.UTF_8);
            try (FileChannel f = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                f.force(true);
            }
            move(tmp, passwordFile);
        } catch (IOException e) {
            Files.deleteIfExists(tmp); // a full disk: a failed start leaves nothing behind
            throw e;
        }
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

    /** In a cluster a restore made, until the first server start on it marked its apply statuses. */
    static final String RESTORED_MARK = "pgfleet-restored";

    /**
     * What a restore's mark says.
     *
     * @param restoredAt    when the restore made the cluster
     * @param backupTakenAt when the backup it restored was taken, when the mark says (a mark of an
     *                      earlier release names only the restore's time)
     */
    public record RestoreMark(Instant restoredAt, Optional<Instant> backupTakenAt) {

        /** Requires both parts. */
        public RestoreMark {
            java.util.Objects.requireNonNull(restoredAt, "restoredAt");
            java.util.Objects.requireNonNull(backupTakenAt, "backupTakenAt");
        }
    }

    /**
     * Marks the cluster under {@code dataDirectory/postgres} as made by a restore: the restore's time
     * on the first line, the backup's on the second when known.
     *
     * @param dataDirectory the data directory holding the restored cluster
     * @param backupTakenAt when the backup was taken (its manifest's {@code created_at}), if it says
     * @throws IOException when the mark cannot be written
     */
    static void markRestored(Path dataDirectory, Optional<Instant> backupTakenAt) throws IOException {
        Files.writeString(dataDirectory.resolve("postgres").resolve(RESTORED_MARK), Instant.now() + "\n"
                + backupTakenAt.map(t -> t + "\n").orElse(""));
    }

    /**
     * Whether this cluster was made by a restore whose apply statuses were not marked yet, and what
     * its mark says.
     *
     * @return the mark, until {@link #restoreMarked()}; a line that is no time is taken as unknown
     *         (the restore's time is then the mark's file time)
     */
    public Optional<RestoreMark> restoreMark() {
        Path mark = pgData.resolve(RESTORED_MARK);
        if (!Files.isRegularFile(mark)) {
            return Optional.empty();
        }
        try {
            // Decoded leniently: whatever the lines hold, the cluster was restored.
            List<Instant> times = new String(Files.readAllBytes(mark), StandardCharsets.UTF_8).lines().limit(2)
                    .map(EmbeddedDatabase::instant).toList();
            Instant restoredAt = times.isEmpty() || times.getFirst() == null
                    ? Files.getLastModifiedTime(mark).toInstant() : times.getFirst();
            return Optional.of(new RestoreMark(restoredAt,
                    times.size() < 2 ? Optional.empty() : Optional.ofNullable(times.get(1))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + mark, e);
        }
    }

    private static Instant instant(String line) {
        try {
            return Instant.parse(line.strip());
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Forgets that this cluster was restored: its apply statuses are marked (in the database, so
     * a crash before this only marks them again).
     */
    public void restoreMarked() {
        try {
            Files.deleteIfExists(pgData.resolve(RESTORED_MARK));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + pgData.resolve(RESTORED_MARK), e);
        }
    }

    /**
     * How to reach it.
     *
     * @param poolSize the connection pool size to use
     * @return the settings for the pool
     */
    public DatabaseSettings settings(int poolSize) {
        return new DatabaseSettings(url(), "postgres", password, poolSize);
    }

    private String url() {
        return url(port);
    }

    private static String url(int port) {
        return "jdbc:postgresql://" + LOOPBACK + ":" + port + "/postgres";
    }

    /**
     * The TCP port it listens on.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * Leaves stopping PostgreSQL at the JVM's exit to its owner's shutdown hook, which calls
     * {@link #close()} once it has closed what uses the database. Both hooks would otherwise run at
     * once, and PostgreSQL would end the owner's connections while they are still in use: its
     * {@code LISTEN} connection reported itself lost and reconnected while the server stopped.
     */
    public void stopAtExitByOwner() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is exiting already: this database's own hook stops it
        }
    }

    /** Stops PostgreSQL; the data stays. Once closed, closing again does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: this may be the hook itself
        }
        try {
            stop();
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

    /** A fast shutdown: clients are disconnected, a checkpoint is written. */
    private void stop() throws IOException {
        try {
            Process process = new ProcessBuilder(pgCtl(pgCtl, "-D", pgData.toString(), "stop", "-m", "fast", "-t",
                    Long.toString(ORPHAN_STOP_WAIT.toSeconds()), "-w"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(ORPHAN_STOP_WAIT.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                long pid = postmasterPid(pgData);
                if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    throw new IOException("pg_ctl stop failed and PostgreSQL (pid " + pid + ") still runs");
                }
            }
            // Its last lines (shutting down, shut down) logged before the server says it stopped.
            output.end(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping PostgreSQL", e);
        }
    }

    private void closeAtExit() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the embedded PostgreSQL as the JVM exits: " + e.getMessage());
        }
    }
}
