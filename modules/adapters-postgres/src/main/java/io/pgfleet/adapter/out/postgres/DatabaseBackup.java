package io.pgfleet.adapter.out.postgres;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Backup and restore of the embedded database, with PostgreSQL's own bulk format ({@code COPY}
 * through the JDBC driver's {@link CopyManager}): the embedded binaries ship no {@code pg_dump}.
 *
 * <p>A backup is one consistent snapshot (a single {@code REPEATABLE READ} read-only transaction,
 * so it runs beside a live server and never blocks it): a ZIP archive of every table's rows in
 * {@code COPY} text format, the sequences' positions and a manifest naming the schema version,
 * each table's columns and row count. It is written to a temporary file next to the target and
 * renamed into place only when complete, readable by its owner only.
 *
 * <p>A restore builds a new cluster beside the data directory (schema migrated to the backup's
 * version, rows loaded in one transaction, row counts checked), and only when all of that worked
 * swaps it in; the cluster it replaces is kept as {@code postgres.before-restore-<time>}. The next
 * server start migrates the schema forward as usual.
 */
public final class DatabaseBackup {

    /** The archive format this release writes and reads. */
    public static final String FORMAT = "pgfleet-backup-1";
    private static final String MANIFEST = "pgfleet-backup.properties";
    /**
     * The largest manifest a restore reads. A real one names a few dozen tables and columns (a few
     * KB); the limit keeps a crafted archive (a ZIP bomb) from filling the heap.
     */
    static final int MAX_MANIFEST_BYTES = 1024 * 1024;
    private static final String SCHEMA = "public";
    private static final String FLYWAY_TABLE = "flyway_schema_history";
    private static final String STAGING = "restore.staging";
    /** A restored cluster, complete, about to be renamed to {@code postgres}. */
    static final String RESTORED = "postgres.restored";

    /** What a backup held. */
    public record Summary(String schemaVersion, Map<String, Long> rows, Optional<Path> replacedKeptAs) {
        /** Copies the counts. */
        public Summary {
            rows = Map.copyOf(rows);
        }

        Summary(String schemaVersion, Map<String, Long> rows) {
            this(schemaVersion, rows, Optional.empty());
        }

        /** The same summary, naming where a restore kept the database it replaced. */
        Summary keptAs(Optional<Path> replaced) {
            return new Summary(schemaVersion, rows, replaced);
        }

        /** @return rows in all tables */
        public long totalRows() {
            return rows.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** A backup or restore that could not be done; its message says why and what to do. Nothing was changed. */
    public static final class BackupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BackupException(String message) {
            super(message);
        }

        BackupException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private DatabaseBackup() {
    }

    // ---- backup ---------------------------------------------------------------------------------

    /**
     * Backs up the embedded database of a data directory, whether its server runs or not (when it
     * does not, PostgreSQL is started for the time of the backup).
     *
     * @param dataDir the server's data directory
     * @param file    the archive to write; must not exist yet
     * @return what it holds
     * @throws BackupException naming what is wrong
     */
    public static Summary backup(Path dataDir, Path file) {
        Path target = file.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new BackupException(target + " exists already; choose a new file name (a backup never overwrites one)");
        }
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new BackupException("cannot write " + target + ": the directory " + dir + " does not exist");
        }
        requireCluster(dataDir);
        Path partial = dir.resolve("." + target.getFileName() + ".partial-" + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(partial);
            Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new BackupException("cannot write " + target + ": " + reason(e), e);
        }
        try {
            Summary summary = withEmbeddedDatabase(dataDir, db -> {
                try {
                    return dump(db, partial);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (FileChannel f = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                f.force(true);
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target);
            }
            return summary;
        } catch (IOException e) {
            throw new BackupException("cannot write " + target + ": " + reason(e), e);
        } catch (java.io.UncheckedIOException e) {
            throw new BackupException("cannot write " + target + ": " + reason(e.getCause()), e.getCause());
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // nothing more to do: the partial file is hidden and named after this process
            }
        }
    }

    /**
     * Runs some work on the embedded database of a data directory, whether its server runs or not:
     * beside a running server it connects to that server's PostgreSQL (as another client, never
     * blocking it); otherwise it starts PostgreSQL for the time of the work, holding the data
     * directory as a server would, so that no server starts on it meanwhile.
     *
     * @param dataDir the server's data directory
     * @param work    what to do, given one-connection settings of the database
     * @param <T>     what the work returns
     * @return what the work returned
     * @throws BackupException when the directory holds no database, or its server's PostgreSQL is
     *                         not up yet or cannot be logged in to
     */
    public static <T> T withEmbeddedDatabase(Path dataDir, java.util.function.Function<DatabaseSettings, T> work) {
        requireCluster(dataDir);
        Optional<Integer> port;
        String password;
        try {
            port = runningPort(dataDir);
            password = port.isPresent() ? password(dataDir) : "";
        } catch (IOException e) {
            throw new BackupException("cannot read " + dataDir + ": " + reason(e), e);
        }
        if (port.isPresent()) {
            return work.apply(new DatabaseSettings("jdbc:postgresql://127.0.0.1:" + port.get() + "/postgres", "postgres",
                    password, 1));
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            return work.apply(db.settings(1));
        }
    }

    private static Summary dump(DatabaseSettings db, Path out) throws IOException {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
            c.setAutoCommit(false);
            // One snapshot for every table: what the backup holds is one moment of the database.
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            String version = schemaVersion(c);
            Properties manifest = new Properties();
            manifest.setProperty("format", FORMAT);
            manifest.setProperty("schema_version", version);
            manifest.setProperty("created_at", Instant.now().toString());
            Map<String, Long> rows = new LinkedHashMap<>();
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            List<String> tables = tables(c);
            manifest.setProperty("tables", String.join(",", tables));
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING))) {
                for (String table : tables) {
                    List<String> columns = columns(c, table);
                    manifest.setProperty("columns." + table, String.join(",", columns));
                    zip.putNextEntry(new ZipEntry("data/" + table + ".copy"));
                    long n = copy.copyOut("COPY (SELECT " + quoted(columns) + " FROM " + SCHEMA + "." + ident(table)
                            + ") TO STDOUT", new FilterOutputStream(zip) {
                                @Override
                                public void close() {
                                    // the entry is closed below; the archive stays open
                                }
                            });
                    zip.closeEntry();
                    rows.put(table, n);
                    manifest.setProperty("rows." + table, Long.toString(n));
                }
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = '"
                             + SCHEMA + "' AND last_value IS NOT NULL ORDER BY 1")) {
                    while (rs.next()) {
                        manifest.setProperty("sequence." + rs.getString(1), Long.toString(rs.getLong(2)));
                    }
                }
                StringWriter text = new StringWriter();
                manifest.store(text, "pgfleet backup");
                zip.putNextEntry(new ZipEntry(MANIFEST));
                zip.write(text.toString().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
            c.rollback();
            return new Summary(version, rows);
        } catch (SQLException e) {
            throw new BackupException("cannot read the database: " + e.getMessage(), e);
        }
    }

    // ---- restore --------------------------------------------------------------------------------

    /**
     * Restores a backup into the data directory of a stopped server (or an empty directory, for a
     * new host). The cluster it replaces is moved aside, not deleted.
     *
     * @param file    the archive
     * @param dataDir the server's data directory
     * @return what was restored
     * @throws BackupException naming what is wrong; nothing in the data directory changed then
     */
    public static Summary restore(Path file, Path dataDir) {
        if (!Files.isRegularFile(file)) {
            throw new BackupException(file + " does not exist or is not a file");
        }
        try (ZipFile zip = openArchive(file)) {
            Properties manifest = manifest(zip, file);
            String version = manifest.getProperty("schema_version", "");
            List<String> tables = list(manifest.getProperty("tables", ""));
            for (String t : tables) {
                if (zip.getEntry("data/" + t + ".copy") == null || manifest.getProperty("rows." + t) == null
                        || manifest.getProperty("columns." + t) == null) {
                    throw new BackupException(file + " is damaged: table " + t + " is missing from it");
                }
            }
            prepareDataDir(dataDir);
            Path absolute = dataDir.toAbsolutePath().normalize();
            try (FileChannel lockChannel = FileChannel.open(absolute.resolve("postgres.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock lock = tryLock(lockChannel, absolute)) {
                requireNoPostgres(absolute.resolve("postgres"));
                Path staging = absolute.resolve(STAGING);
                clearStaging(staging);
                if (!pendingRestore(absolute)) {
                    // What a restore interrupted before its swap left; this one starts again from the archive.
                    deleteTree(absolute.resolve(RESTORED));
                }
                Files.createDirectories(staging);
                try {
                    Path password = absolute.resolve(EmbeddedDatabase.PASSWORD_FILE);
                    if (Files.isRegularFile(password)) {
                        // The restored cluster keeps the superuser password the server (and the demo's agent) use.
                        Files.copy(password, staging.resolve(EmbeddedDatabase.PASSWORD_FILE), StandardCopyOption.COPY_ATTRIBUTES);
                    }
                    Summary summary;
                    try (EmbeddedDatabase db = EmbeddedDatabase.start(staging)) {
                        summary = load(db.settings(1), zip, manifest, version, tables, file);
                    }
                    // Moved into place with the cluster: the first start on it marks the apply statuses
                    // as restored (after migrating, whatever schema version the backup had).
                    EmbeddedDatabase.markRestored(staging, takenAt(manifest));
                    return summary.keptAs(swap(absolute, staging));
                } finally {
                    deleteTree(staging);
                }
            }
        } catch (IOException e) {
            throw new BackupException("cannot restore " + file + " into " + dataDir + ": " + reason(e), e);
        }
    }

    /** When the backup was taken, as its manifest says; a manifest that says no time leaves it unknown. */
    private static Optional<Instant> takenAt(Properties manifest) {
        try {
            return Optional.ofNullable(manifest.getProperty("created_at")).map(String::strip).map(Instant::parse);
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static ZipFile openArchive(Path file) {
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new BackupException(file + " is not a pgfleet backup (not a ZIP archive: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new BackupException("cannot read " + file + ": " + reason(e), e);
        }
    }

    private static Properties manifest(ZipFile zip, Path file) throws IOException {
        ZipEntry entry = zip.getEntry(MANIFEST);
        if (entry == null) {
            throw new BackupException(file + " is not a pgfleet backup (it has no " + MANIFEST + ")");
        }
        Properties p = new Properties();
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] text = in.readNBytes(MAX_MANIFEST_BYTES + 1);
            if (text.length > MAX_MANIFEST_BYTES) {
                throw new BackupException(file + " is damaged: its manifest is larger than " + MAX_MANIFEST_BYTES
                        + " bytes (a real one holds a few KB)");
            }
            p.load(new StringReader(new String(text, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException | ZipException e) {
            throw new BackupException(file + " is damaged: its manifest cannot be read", e);
        }
        if (!FORMAT.equals(p.getProperty("format"))) {
            throw new BackupException(file + " is not a backup this release reads (format '" + p.getProperty("format")
                    + "', expected " + FORMAT + ")");
        }
        if (p.getProperty("schema_version", "").isBlank()) {
            throw new BackupException(file + " is damaged: its manifest names no schema version");
        }
        return p;
    }

    /** A data directory that does not exist or is empty is a new one; anything else must be a pgfleet one. */
    private static void prepareDataDir(Path dataDir) throws IOException {
        if (!Files.exists(dataDir)) {
            Files.createDirectories(dataDir);
            return;
        }
        if (!Files.isDirectory(dataDir)) {
            throw new BackupException(dataDir + " is not a directory");
        }
        boolean empty;
        try (Stream<Path> s = Files.list(dataDir)) {
            empty = s.findAny().isEmpty();
        }
        if (!empty && !Files.isRegularFile(dataDir.resolve("postgres").resolve("PG_VERSION")) && !pendingRestore(dataDir)
                && !Files.isRegularFile(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE))) {
            throw new BackupException(dataDir + " is not a pgfleet data directory (no postgres/ cluster, no "
                    + EmbeddedDatabase.PASSWORD_FILE + "); restore into a server's data directory or an empty one");
        }
    }

    private static FileLock tryLock(FileChannel channel, Path dataDir) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new BackupException("a pgfleet server is running on " + dataDir + "; stop it first (a restore replaces "
                    + "its whole database). To copy a running server's data, use backup instead");
        }
        return lock;
    }

    /** A PostgreSQL left running by a server that was killed still holds the cluster: do not pull it away. */
    private static void requireNoPostgres(Path pgData) throws IOException {
        Path pid = pgData.resolve("postmaster.pid");
        if (!Files.isRegularFile(pid)) {
            return;
        }
        List<String> lines = Files.readAllLines(pid);
        if (lines.isEmpty()) {
            return;
        }
        try {
            Optional<ProcessHandle> p = ProcessHandle.of(Long.parseLong(lines.get(0).strip()));
            if (p.isPresent() && p.get().isAlive() && p.get().info().command().orElse("").endsWith("postgres")) {
                throw new BackupException("PostgreSQL (pid " + lines.get(0).strip() + ") still runs on " + pgData
                        + ", left by a server that did not stop cleanly; start the server once and stop it, then restore");
            }
        } catch (NumberFormatException e) {
            // not a pid file PostgreSQL wrote; the cluster is not running
        }
    }

    private static Summary load(DatabaseSettings db, ZipFile zip, Properties manifest, String version, List<String> tables,
                                Path file) throws IOException {
        org.flywaydb.core.api.MigrationVersion wanted;
        try {
            wanted = org.flywaydb.core.api.MigrationVersion.fromVersion(version);
        } catch (RuntimeException e) {
            throw new BackupException(file + " is damaged: its schema version '" + version + "' is no version", e);
        }
        org.flywaydb.core.api.MigrationVersion newest = Stream.of(flyway(db).load().info().all())
                .map(MigrationInfo::getVersion).filter(v -> v != null).max(Comparator.naturalOrder())
                .orElse(org.flywaydb.core.api.MigrationVersion.EMPTY);
        if (wanted.compareTo(newest) > 0) {
            throw new BackupException(file + " was made by a newer pgfleet release (schema version " + version
                    + "); this release knows schema versions up to " + newest + ": restore it with that release or a newer one");
        }
        Flyway flyway = flyway(db).target(wanted).load();
        flyway.migrate();
        Map<String, Long> rows = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
            c.setAutoCommit(false);
            List<String> present = tables(c);
            for (String t : tables) {
                if (!present.contains(t)) {
                    throw new BackupException(file + " is damaged or foreign: table " + t + " is not part of schema version "
                            + version);
                }
            }
            for (String t : present) {
                // A table left out would be restored empty (no users: nobody could log in again).
                if (!tables.contains(t)) {
                    throw new BackupException(file + " is damaged: table " + t + " of schema version " + version
                            + " is missing from it");
                }
            }
            try (Statement s = c.createStatement()) {
                // Rows go in as they were: foreign keys and triggers were satisfied when they were written.
                s.execute("SET session_replication_role = replica");
                // A row PostgreSQL refuses would be quoted whole in its log (the CONTEXT of a COPY error),
                // which the server echoes: the rows hold password and token hashes. The failure is said
                // below, without them.
                s.execute("SET log_min_messages = fatal");
                // Rows a migration seeded are replaced by the backup's.
                if (!present.isEmpty()) {
                    s.execute("TRUNCATE " + String.join(", ", present.stream().map(t -> SCHEMA + "." + ident(t)).toList()));
                }
            }
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (String t : tables) {
                ZipEntry entry = zip.getEntry("data/" + t + ".copy");
                long expected = Long.parseLong(manifest.getProperty("rows." + t));
                long n;
                try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(entry), new CRC32())) {
                    n = copy.copyIn("COPY " + SCHEMA + "." + ident(t) + " (" + quoted(list(manifest.getProperty("columns." + t)))
                            + ") FROM STDIN", in);
                    if (in.getChecksum().getValue() != entry.getCrc()) {
                        throw new BackupException(file + " is damaged: the rows of " + t + " do not match their checksum");
                    }
                } catch (ZipException e) {
                    throw new BackupException(file + " is damaged: the rows of " + t + " cannot be read (" + e.getMessage() + ")", e);
                } catch (SQLException e) {
                    // Not chained: the exception's message quotes the row.
                    throw new BackupException(file + " cannot be restored: table " + t + where(e) + ": " + refusal(e));
                }
                if (n != expected) {
                    throw new BackupException(file + " is damaged: " + t + " holds " + n + " rows, its manifest says " + expected);
                }
                rows.put(t, n);
            }
            for (String key : manifest.stringPropertyNames()) {
                if (key.startsWith("sequence.")) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT setval(?::regclass, ?, true)")) {
                        ps.setString(1, SCHEMA + "." + ident(key.substring("sequence.".length())));
                        ps.setLong(2, Long.parseLong(manifest.getProperty(key)));
                        ps.execute();
                    }
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw new BackupException(file + " cannot be restored: " + refusal(e));
        } catch (NumberFormatException e) {
            throw new BackupException(file + " cannot be restored: " + e.getMessage(), e);
        }
        return new Summary(version, rows);
    }

    /** The line (and column) of a backup's rows that PostgreSQL refused, from its context, without the row it quotes. */
    static String where(SQLException e) {
        String context = e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getWhere() : null;
        java.util.regex.Matcher m = context == null ? null
                : java.util.regex.Pattern.compile("COPY [^,]+, line (\\d+)(?:, column ([A-Za-z0-9_]+))?").matcher(context);
        if (m == null || !m.lookingAt()) {
            return "";
        }
        return ", line " + m.group(1) + (m.group(2) == null ? "" : ", column " + m.group(2));
    }

    /**
     * Why PostgreSQL refused a statement, without the values it quotes: a backup's rows hold password
     * and token hashes. Only its primary message is kept (the detail and context quote the row:
     * "Failing row contains (…)", "COPY users, line 1: …"), cut where it quotes a value: PostgreSQL
     * puts the value after a colon ("invalid input syntax for type uuid: \"…\"").
     */
    static String refusal(SQLException e) {
        String message = e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                ? p.getServerErrorMessage().getMessage() : e.getMessage();
        if (message == null || message.isBlank()) {
            return "SQLSTATE " + e.getSQLState();
        }
        int colon = message.indexOf(": ");
        return (colon < 0 ? message : message.substring(0, colon)).strip();
    }

    /**
     * Moves the restored cluster into place; the one it replaces is kept beside it. The restored
     * cluster first becomes {@code postgres.restored} (complete, on the same file system), then the
     * old one is moved aside and the new one renamed into place: a restore interrupted between the
     * last two renames is completed by the next server start ({@link EmbeddedDatabase}), never
     * followed by a start on an empty database.
     */
    private static Optional<Path> swap(Path dataDir, Path staging) throws IOException {
        Path pgData = dataDir.resolve("postgres");
        Path restored = dataDir.resolve(RESTORED);
        if (pendingRestore(dataDir)) {
            // An earlier restore stopped between its last two renames: complete it first, so the
            // cluster it brought is the one kept aside below (it was never deleted before this restore worked).
            move(restored, pgData);
        }
        move(staging.resolve("postgres"), restored);
        Optional<Path> kept = Optional.empty();
        if (Files.exists(pgData)) {
            String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
            kept = Optional.of(dataDir.resolve("postgres.before-restore-" + stamp));
            move(pgData, kept.get());
        }
        move(restored, pgData);
        Path password = staging.resolve(EmbeddedDatabase.PASSWORD_FILE);
        if (!Files.exists(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE))) {
            move(password, dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE));
        }
        return kept;
    }

    /**
     * Whether a restore stopped between moving the old cluster aside and the new one into place:
     * {@code postgres.restored} is then the complete database the next server start moves into place.
     */
    private static boolean pendingRestore(Path dataDir) {
        return !Files.exists(dataDir.resolve("postgres")) && Files.isRegularFile(dataDir.resolve(RESTORED).resolve("PG_VERSION"));
    }

    /**
     * Removes what an interrupted restore left in the staging directory, after stopping a
     * PostgreSQL that may still run on it (the restore was killed while loading).
     */
    private static void clearStaging(Path staging) throws IOException {
        if (Files.exists(staging.resolve("postgres")) || Files.exists(staging.resolve("postgres.initialising"))) {
            try (EmbeddedDatabase leftover = EmbeddedDatabase.start(staging)) {
                // started only to stop an orphan cleanly
            } catch (RuntimeException e) {
                // a damaged leftover: nothing runs on it that must be stopped first
            }
        }
        deleteTree(staging);
    }

    // ---- shared ---------------------------------------------------------------------------------

    private static void requireCluster(Path dataDir) {
        if (!Files.isRegularFile(dataDir.resolve("postgres").resolve("PG_VERSION"))) {
            throw new BackupException(dataDir.toAbsolutePath() + " holds no embedded database (no postgres/ cluster): "
                    + "set PGFLEET_DATA_DIR to the server's data directory (or PGFLEET_DB_URL and its credentials, as the "
                    + "server has them, for an external PostgreSQL)");
        }
    }

    /** The port of the PostgreSQL a running server started on the data directory, if one runs. */
    private static Optional<Integer> runningPort(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        try (FileChannel channel = FileChannel.open(dataDir.resolve("postgres.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock != null) {
                lock.release();
                return Optional.empty();
            }
        }
        Path pid = dataDir.resolve("postgres").resolve("postmaster.pid");
        List<String> lines = Files.isRegularFile(pid) ? Files.readAllLines(pid) : List.of();
        if (lines.size() < 4) {
            throw new BackupException("a pgfleet server holds " + dataDir + " but its PostgreSQL is not up yet; try again "
                    + "when the server is ready");
        }
        try {
            return Optional.of(Integer.parseInt(lines.get(3).strip()));
        } catch (NumberFormatException e) {
            throw new BackupException("cannot read the port of the running PostgreSQL from " + pid, e);
        }
    }

    private static String password(Path dataDir) throws IOException {
        Path f = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
        if (!Files.isRegularFile(f)) {
            throw new BackupException("no " + f + ": cannot log in to the running server's PostgreSQL");
        }
        return Files.readString(f, StandardCharsets.UTF_8).strip();
    }

    private static String schemaVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version FROM " + FLYWAY_TABLE
                     + " WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1")) {
            if (!rs.next()) {
                throw new BackupException("the database has no pgfleet schema yet (start the server once)");
            }
            return rs.getString(1);
        }
    }

    private static List<String> tables(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                + "c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> ? "
                + "ORDER BY 1")) {
            ps.setString(1, SCHEMA);
            ps.setString(2, FLYWAY_TABLE);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The columns a {@code COPY} carries: generated columns are computed again on the way in. */
    private static List<String> columns(Connection c, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass "
                + "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
            ps.setString(1, SCHEMA + "." + ident(table));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static List<String> list(String csv) {
        return csv.isBlank() ? List.of() : List.of(csv.split(","));
    }

    private static String quoted(List<String> names) {
        return String.join(", ", names.stream().map(DatabaseBackup::ident).toList());
    }

    private static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied (" + e.getMessage() + ")";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "it exists already";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory (" + e.getMessage() + ")";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static org.flywaydb.core.api.configuration.FluentConfiguration flyway(DatabaseSettings db) {
        return Flyway.configure().dataSource(db.url(), db.user(), db.password())
                .locations("classpath:db-migration").failOnMissingLocations(true)
                // As at a start (PostgresStorage.migrate): no query result printed as an ASCII table.
                .outputQueryResults(false);
    }
}
