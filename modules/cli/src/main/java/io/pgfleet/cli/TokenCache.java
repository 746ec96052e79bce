package io.pgfleet.cli;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The cached session in the user's configuration directory ({@code session.json}, mode 0600, in a
 * directory of mode 0700). Refresh tokens rotate: each is good for one refresh, and presenting a
 * spent one again makes the server revoke the whole family. So every refresh happens while
 * holding an exclusive lock on {@code session.lock} ({@link FileChannel#lock()}, which works
 * across processes), after re-reading the file: a process that waited finds the pair another one
 * just bought and uses it instead of spending the old refresh token a second time.
 */
final class TokenCache {

    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    /** Where the server of a forgotten session is kept (a URL, nothing secret). */
    private static final String LAST_SERVER = "last-server";

    private final Path dir;
    private final java.io.PrintWriter warnings;
    private final JsonMapper json = JsonMapper.builder().build();

    /** A cache whose warnings (a session file found open to others) are not shown. */
    TokenCache(Path dir) {
        this(dir, new java.io.PrintWriter(java.io.Writer.nullWriter()));
    }

    /**
     * @param dir      the configuration directory
     * @param warnings where a session file found open to others and made private again is said (stderr)
     */
    TokenCache(Path dir, java.io.PrintWriter warnings) {
        this.dir = dir;
        this.warnings = warnings;
    }

    Path file() {
        return dir.resolve("session.json");
    }

    /** The cached session, if any and readable. */
    Optional<Session> load() {
        return read().session();
    }

    /**
     * Why the cached session cannot be used although its file is there (not readable, not JSON, a
     * field missing), if so: the hint to log in again says it, rather than the user being told they
     * are not logged in when they know they did.
     */
    Optional<String> damage() {
        return read().damage();
    }

    /** What the session file holds: a session, or why it holds none usable (empty both: no file). */
    private record Read(Optional<Session> session, Optional<String> damage) {

        static final Read NONE = new Read(Optional.empty(), Optional.empty());

        static Read damaged(String why) {
            return new Read(Optional.empty(), Optional.of(why));
        }
    }

    private Read read() {
        Path file = file();
        if (!Files.exists(file)) {
            return Read.NONE;
        }
        Optional<String> unprotected = makePrivate(file);
        if (unprotected.isPresent()) {
            return Read.damaged(unprotected.get());
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.AccessDeniedException e) {
            return Read.damaged("permission denied");
        } catch (IOException | RuntimeException e) {
            // A directory, bytes that are not UTF-8, an I/O error.
            return Read.damaged(e.getMessage() == null ? e.toString() : e.getMessage());
        }
        if (text.isBlank()) {
            return Read.damaged("empty");
        }
        JsonNode n;
        try {
            n = json.readTree(text);
        } catch (RuntimeException e) {
            return Read.damaged("not JSON");
        }
        if (n == null || !n.isObject()) {
            return Read.damaged("not a JSON object");
        }
        for (String field : FIELDS) {
            if (!n.path(field).isString() || n.path(field).asString().isBlank()) {
                return Read.damaged("no " + field);
            }
        }
        Instant issued;
        Instant expires;
        try {
            issued = Instant.parse(n.path("issued_at").asString());
            expires = Instant.parse(n.path("expires_at").asString());
        } catch (java.time.format.DateTimeParseException e) {
            return Read.damaged("issued_at or expires_at is not an RFC 3339 time");
        }
        return new Read(Optional.of(new Session(n.path("server").asString(), n.path("subject").asString(),
                n.path("role").asString(), n.path("access_token").asString(), issued, expires,
                n.path("refresh_token").asString())), Optional.empty());
    }

    /**
     * A session file others may read or write (0644 after a copy, a restore of a home directory, a
     * chmod) is made 0600 again, as this CLI writes it, and said so in one line: refusing it would
     * leave the tokens readable and the session going on. Whoever could read it may hold the tokens
     * already, which only a logout ends; the line says so. Not refused either: the session is the
     * user's own, and its file is theirs again.
     *
     * @return why the file cannot be used, when it is open to others and cannot be made private
     */
    private Optional<String> makePrivate(Path file) {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException | IOException notPosix) {
            // Windows: the user profile's ACLs apply; an unreadable file is said when it is read.
            return Optional.empty();
        }
        Set<PosixFilePermission> open = java.util.EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(mode);
        open.removeAll(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE));
        if (open.isEmpty()) {
            return Optional.empty();
        }
        String was = octal(mode);
        if (Files.isSymbolicLink(file)) {
            // A link this CLI never made (a save replaces it with a file of its own): the file it names
            // may be anything (a shared file, /dev/null, another user's file when run as root), and a
            // chmod would follow the link into it. Not changed, and not used.
            return Optional.of("a symbolic link to a file open to others (mode " + was + "), which is left as it is;"
                    + " a login replaces the link with a private file");
        }
        try {
            Files.setPosixFilePermissions(file, FILE_MODE);
        } catch (IOException e) {
            // Not the user's file (another owner): it is not used, and the next login replaces it.
            return Optional.of("open to others (mode " + was + ") and cannot be made private: "
                    + (e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage()));
        }
        warnings.println("pgfleet: warning: " + file + " was open to others (mode " + was + ") and is now 0600; it holds"
                + " your tokens: if anyone else could read it, run pgfleet logout and log in again");
        warnings.flush();
        return Optional.empty();
    }

    private static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", bits);
    }

    /** Every field a session file holds. */
    private static final java.util.List<String> FIELDS = java.util.List.of("server", "subject", "role", "access_token",
            "issued_at", "expires_at", "refresh_token");

    /** Replaces the cached session atomically; readers see the old or the new file, never half of one. */
    void save(Session s) {
        ObjectNode n = json.createObjectNode()
                .put("server", s.server())
                .put("subject", s.subject())
                .put("role", s.role())
                .put("access_token", s.accessToken())
                .put("issued_at", s.issuedAt().toString())
                .put("expires_at", s.expiresAt().toString())
                .put("refresh_token", s.refreshToken());
        try {
            ensureDir();
            Path tmp = dir.resolve("session.json." + ProcessHandle.current().pid() + ".tmp");
            Files.deleteIfExists(tmp);
            createPrivate(tmp);
            Files.writeString(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
            try {
                Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot write the session cache " + file() + ": " + e.getMessage());
        }
    }

    /**
     * Forgets the session, but not its server: the next command's hint to log in names that
     * server ({@link #lastServer()}), not the default URL.
     */
    boolean delete() {
        Optional<Session> forgotten = load();
        try {
            if (forgotten.isPresent()) {
                ensureDir();
                Files.writeString(dir.resolve(LAST_SERVER), forgotten.get().server() + "\n");
            }
            return Files.deleteIfExists(file());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The server of the last session forgotten (logged out, or refused at a refresh), if any. */
    Optional<String> lastServer() {
        try {
            Path f = dir.resolve(LAST_SERVER);
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f).strip()).filter(s -> !s.isEmpty())
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Runs the action while holding the cache's exclusive lock (waiting for other processes).
     */
    <T> T locked(Callable<T> action) {
        try {
            ensureDir();
            Path lockFile = dir.resolve("session.lock");
            if (!Files.exists(lockFile)) {
                try {
                    createPrivate(lockFile);
                } catch (FileAlreadyExistsException raced) {
                    // another process created it first: fine
                }
            }
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                 FileLock lock = channel.lock()) {
                return action.call();
            }
        } catch (CliException e) {
            throw e;
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot lock the session cache in " + dir + ": " + e.getMessage());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void ensureDir() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, DIR_MODE);
            } catch (UnsupportedOperationException notPosix) {
                // Windows: the user profile's ACLs apply
            }
        }
    }

    private static void createPrivate(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
    }
}
