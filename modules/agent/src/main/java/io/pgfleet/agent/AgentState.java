package io.pgfleet.agent;

import io.pgfleet.agent.core.LastKnownGoodStore;
import io.pgfleet.agent.core.LastKnownGoodStore.UnusableCopy;
import io.pgfleet.agent.core.SampleSpool;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.agent.transport.ServerClient;
import io.pgfleet.domain.collector.CollectorId;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What the agent keeps on disk in its state directory: its identity and refresh token, the
 * last configuration it applied (the last-known-good), while it registers, the registration's
 * idempotency key, and samples the server has not taken yet ({@link SampleSpool}); each written
 * atomically: temporary file, fsync, rename.
 */
public final class AgentState implements LastKnownGoodStore, SampleSpool, ServerClient.RegistrationKeys {

    /** The file holding the identity; an agent that has one is registered. */
    static final String IDENTITY_FILE = "identity.properties";
    private static final String REGISTRATION_KEY = "registration.key";
    private static final java.util.regex.Pattern KEY_SYNTAX = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{16,128}");
    private static final String LKG = "last-known-good.toml";
    private static final String LKG_VERSION = "last-known-good.version";
    /** Undelivered samples: one JSON object a line (a batch's samples carry its id). */
    static final String UNSENT = "unsent-samples.jsonl";
    /** A line of the spool is one sample; a longer one is damage, not a sample the agent made. */
    private static final int MAX_SPOOL_LINE = 64 * 1024;

    private final Path dir;
    /** Why the directory cannot be written, when it cannot: the agent then keeps nothing over a restart. */
    private final Optional<String> unwritable;
    /** Why the directory could not be made its owner's only, when it could not (and can be written). */
    private final Optional<String> notOwnerOnly;
    /** The directory's owner when the agent runs as root in another user's directory (by hand, beside the service). */
    private final Optional<String> rootInOthers;
    /** Where the agent says that the directory was gone, and what that costs when it cannot be made again. */
    private final java.util.function.Consumer<String> warn;
    /** Held while the directory is made again and what the agent holds is written back into it. */
    private final Object restoring = new Object();
    /** The identity the agent holds now: the one read at start, then every one it was asked to keep. */
    private volatile Optional<Identity> held = Optional.empty();
    /** The last-known-good the agent holds now: the one read at start, then every one it was asked to keep. */
    private volatile Optional<Cached> heldGood = Optional.empty();
    /** Whether the agent said that its identity is no longer on disk; said again only once it was back. Under {@link #restoring}. */
    private boolean saidLost;
    /** Why the identity is not on disk, as last said. Under {@link #restoring}. */
    private String lostWhy = "";
    /** Whether the identity the agent holds was refused by the disk (full): tried again at the stop. */
    private volatile boolean identityUnsaved;

    /**
     * The state in a directory, created when missing with owner-only permissions. A directory that
     * is there but cannot be written (immutable, a read-only mount, another owner's) is taken as it
     * is: {@link #unwritable()} says so, and every write fails as a full disk's would.
     *
     * @param dir the state directory
     * @throws UncheckedIOException when it is missing and cannot be created
     */
    public AgentState(Path dir) {
        this(dir, m -> { });
    }

    /**
     * The state in a directory that says where it wants when the directory disappears while the
     * agent runs (a tmp cleaner, an {@code rm -rf}, a mount provisioned anew): the directory is then
     * made again, as at the first start, with what the agent holds.
     *
     * @param dir  the state directory
     * @param warn where the agent says what it does about a directory that was gone
     * @throws UncheckedIOException when it is missing and cannot be created
     */
    public AgentState(Path dir, java.util.function.Consumer<String> warn) {
        this.dir = dir;
        this.warn = warn;
        Optional<String> chmod = Optional.empty();
        try {
            chmod = makeDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state directory " + dir + " (" + reason(e)
                    + "); create it, owned by the agent's user with mode 0700, or set state_dir in the agent's"
                    + " local file to a directory it can write", e);
        }
        // access(2) answers what a write would meet: the mode for this user, the immutable flag, a
        // read-only mount; a root agent writes wherever the flag and the mount let it.
        boolean writable = Files.isWritable(dir);
        // Another user's directory: who owns it and the remedy say more than chmod's "Operation not permitted".
        String owners = writable ? "" : ownership(dir);
        this.unwritable = writable ? Optional.empty()
                : Optional.of(owners.isEmpty() ? chmod.orElse("not writable by this user") : "permission denied" + owners);
        this.notOwnerOnly = unwritable.isPresent() ? Optional.empty() : chmod;
        this.rootInOthers = RunningAs.ROOT ? posix(dir).map(a -> a.owner().getName()).filter(o -> !o.equals(RunningAs.USER))
                : Optional.empty();
    }

    /**
     * Makes the directory when it is missing (its parents too) and its owner's only: at the first
     * start, and again when it disappeared while the agent ran.
     *
     * @return why it could not be made its owner's only, when it could not
     * @throws IOException when it is missing and cannot be made
     */
    private Optional<String> makeDirectory() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: rely on the directory's own protection
        } catch (IOException e) {
            return Optional.of(reason(e));
        }
        return Optional.empty();
    }

    /**
     * An I/O failure in plain words; when the system refused it (permission denied, operation not
     * permitted) on a file of the state directory or the directory itself, whose it is against the
     * user the agent runs as, and the remedy ({@link #ownership}).
     */
    private String reason(IOException e) {
        String plain = plainReason(e);
        boolean refused = e instanceof java.nio.file.AccessDeniedException || plain.equals("Operation not permitted");
        return refused && e instanceof java.nio.file.FileSystemException fs && fs.getFile() != null
                ? plain + ownership(Path.of(fs.getFile())) : plain;
    }

    /** An I/O failure in plain words: {@code Operation not permitted}, not the exception's class. */
    private static String plainReason(IOException e) {
        return switch (e) {
            case java.nio.file.AccessDeniedException a -> "permission denied";
            case java.nio.file.FileAlreadyExistsException x -> "a file that is not a directory is in the way";
            // Its message is the path alone: say which of the path is missing.
            case java.nio.file.NoSuchFileException n when n.getFile() != null -> missing(Path.of(n.getFile()));
            case java.nio.file.FileSystemException fs when fs.getReason() != null -> words(fs.getReason());
            default -> e.getMessage() != null ? words(e.getMessage()) : e.toString();
        };
    }

    /** The operating system's words for a full disk (ENOSPC), as the other reasons are written. */
    private static String words(String osMessage) {
        return osMessage.equalsIgnoreCase("No space left on device") ? "no space left on device" : osMessage;
    }

    /** What of a path that was not found is missing: its directory, or the file itself. */
    private static String missing(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent != null && !Files.isDirectory(parent) ? "the directory " + parent + " does not exist"
                : file + " does not exist";
    }

    /** Who the agent runs as, for what it says about files it may not read. */
    private static final class RunningAs {
        /** Its user's name; its uid when the uid has no name. */
        static final String USER;
        /** Whether it runs as root. */
        static final boolean ROOT;

        static {
            java.util.OptionalLong uid = java.util.OptionalLong.empty();
            try {
                // The owner of /proc/self is the process's effective uid.
                uid = java.util.OptionalLong.of(((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue());
            } catch (IOException | RuntimeException e) {
                // not Linux: the name alone
            }
            java.util.OptionalLong id = uid;
            USER = ProcessHandle.current().info().user()
                    .orElseGet(() -> id.isPresent() ? Long.toString(id.getAsLong()) : System.getProperty("user.name", "?"));
            ROOT = uid.isPresent() ? uid.getAsLong() == 0 : USER.equals("root");
        }

        private RunningAs() {
        }
    }

    /** A file's owner and mode, empty when it cannot be seen (missing, a directory that keeps the agent out, not POSIX). */
    private static Optional<java.nio.file.attribute.PosixFileAttributes> posix(Path file) {
        try {
            return Optional.of(Files.readAttributes(file, java.nio.file.attribute.PosixFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /**
     * Why the agent may not read or write a file of its state directory, or the directory itself,
     * as the words after {@code permission denied}: whose it is and its mode against the user the
     * agent runs as, and the remedy. A run of the agent as root by hand (to watch its output) leaves
     * root's files that the service, running as its own user, cannot read.
     *
     * @param file the file the system refused
     * @return {@code ": it is root's (rw-------) and the agent runs as pgfleet, …; … chown -R pgfleet DIR"},
     *         or nothing when nothing more can be said (the agent's own file with an owner's mode: an ACL, SELinux)
     */
    private String ownership(Path file) {
        if (!file.equals(dir) && !dir.equals(file.getParent())) {
            // Not the agent's to give back (a parent directory): its words alone.
            return "";
        }
        Path where = file;
        Optional<java.nio.file.attribute.PosixFileAttributes> a = posix(file);
        if (a.isEmpty() && !file.equals(dir)) {
            // Not to be seen: the directory itself keeps the agent out (or the file is not there).
            where = dir;
            a = posix(dir);
        }
        if (a.isEmpty()) {
            return "";
        }
        String owner = a.get().owner().getName();
        String mode = PosixFilePermissions.toString(a.get().permissions());
        String what = where.equals(dir) ? "the state directory" : "it";
        if (!owner.equals(RunningAs.USER)) {
            return ": " + what + " is " + owner + "'s (" + mode + ") and the agent runs as " + RunningAs.USER
                    + ", as after a run of the agent as " + owner + "; give the state directory back to the agent's"
                    + " user: chown -R " + RunningAs.USER + " " + dir;
        }
        java.util.Set<java.nio.file.attribute.PosixFilePermission> m = a.get().permissions();
        boolean ownerMayUse = m.contains(java.nio.file.attribute.PosixFilePermission.OWNER_READ)
                && m.contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)
                && (!where.equals(dir) || m.contains(java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE));
        return ownerMayUse ? "" : ": " + what + " is the agent's user's own but " + mode + "; chmod -R u+rwX " + dir;
    }

    /** The files the agent keeps in the state directory, as the start-up check names them. */
    private static final List<String> FILES = List.of(IDENTITY_FILE, REGISTRATION_KEY, LKG, LKG_VERSION, UNSENT,
            StateDirectoryLock.FILE);

    /**
     * Refuses a state directory the agent cannot read, or whose files it cannot read (or, for its
     * lock file, write): most often the files of a run of the agent as root by hand, which the
     * service cannot read afterwards. Unread, they would make the agent register this host as a new
     * collector (its identity), drop the samples the last run kept, or run without its lock. Checked
     * at start, before anything is read or written there: a few {@code stat} and {@code access} calls.
     *
     * @throws IllegalStateException naming the files, their owners and modes, the user the agent runs
     *                               as, and the remedy
     */
    void requireReadable() {
        if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
            Optional<java.nio.file.attribute.PosixFileAttributes> a = posix(dir);
            String owner = a.map(x -> x.owner().getName()).orElse("");
            throw new IllegalStateException("the state directory " + dir + " cannot be read by the agent"
                    + a.map(x -> " (it is " + x.owner().getName() + "'s, " + PosixFilePermissions.toString(x.permissions())
                            + ")").orElse("") + ", which runs as " + RunningAs.USER + ": it cannot tell whether this host"
                    + " is registered, and does not start rather than register it as a new collector. "
                    + remedy(owner.isEmpty() || owner.equals(RunningAs.USER) ? java.util.Set.of() : java.util.Set.of(owner)));
        }
        List<String> refused = new java.util.ArrayList<>();
        java.util.Set<String> others = new java.util.TreeSet<>();
        boolean lockRefused = false;
        for (String name : FILES) {
            Path f = dir.resolve(name);
            if (!Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            // The lock file is written too (its holder's pid); the others are replaced by a rename, which
            // the directory's mode allows, not the file's.
            boolean lockFile = name.equals(StateDirectoryLock.FILE) && unwritable.isEmpty();
            if (Files.isReadable(f) && (!lockFile || Files.isWritable(f))) {
                continue;
            }
            lockRefused |= lockFile;
            Optional<java.nio.file.attribute.PosixFileAttributes> a = posix(f);
            refused.add(name + a.map(x -> " (" + x.owner().getName() + "'s, " + PosixFilePermissions.toString(x.permissions())
                    + ")").orElse(""));
            a.map(x -> x.owner().getName()).filter(o -> !o.equals(RunningAs.USER)).ifPresent(others::add);
        }
        if (refused.isEmpty()) {
            return;
        }
        throw new IllegalStateException("the state directory " + dir + " holds files the agent cannot read"
                + (lockRefused ? " or write" : "") + ": " + String.join(", ", refused) + "; the agent runs as "
                + RunningAs.USER + (others.isEmpty() ? "" : ", and a run of it as " + String.join(" or ", others)
                + " (by hand, to watch its output) leaves them so") + ". It does not start rather than register this"
                + " host as a new collector, or drop the samples and the configuration kept there. " + remedy(others));
    }

    /** What to run so that the agent's user may read the state directory again. */
    private String remedy(java.util.Set<String> otherOwners) {
        return (otherOwners.isEmpty() ? "Make them the agent's user's to read and write: chmod -R u+rwX " + dir
                : "Give the directory back to the agent's user: chown -R " + RunningAs.USER + " " + dir)
                + ", then start the agent again";
    }

    /**
     * Why the state directory cannot be written, when it cannot.
     *
     * @return the reason, empty when it can be written
     */
    public Optional<String> unwritable() {
        return unwritable;
    }

    /**
     * What the agent says at start about its state directory, once, when there is something to say:
     * that it cannot be written and what is then not kept, or that it could not be made its owner's only.
     *
     * @return the warning line, empty when the directory is as it should be
     */
    public Optional<String> warning() {
        if (unwritable.isPresent()) {
            return Optional.of("warning: the state directory " + dir + " cannot be written (" + unwritable.get()
                    + "); the agent runs and collects, but keeps nothing over a restart: not a new refresh token (a"
                    + " restart after its next token refresh, within 15 minutes, leaves it locked out until re-enrolled),"
                    + " not the last-known-good configuration (a start-up without the server collects with the defaults),"
                    + " not the samples the server has not taken (kept in memory only). Make the directory writable by"
                    + " the agent's user (chattr -i, chown, a read-write mount) and restart the agent");
        }
        return notOwnerOnly.map(why -> "warning: the state directory " + dir + " could not be made its owner's only ("
                + why + "); its files are created owner-only all the same, but others who may write the directory could"
                + " replace them: make it owned by the agent's user with mode 0700")
                .or(() -> rootInOthers.map(owner -> "warning: the agent runs as root in the state directory " + dir
                        + ", which is " + owner + "'s: the files it writes there are root's, and the agent run as " + owner
                        + " (the service) cannot read them afterwards; it then refuses to start until they are given back."
                        + " Run it as " + owner + " instead (sudo -u " + owner + " pgfleet-agent --config …), or after this"
                        + " run give the directory back: chown -R " + owner + " " + dir));
    }

    /**
     * Who the agent is.
     *
     * @param collectorId  its id
     * @param refreshToken its current refresh token
     */
    public record Identity(String collectorId, String refreshToken) {
        @Override
        public String toString() {
            return "Identity[collectorId=" + collectorId + "]";
        }
    }

    /**
     * Makes an identity file that others may read (copied from a backup, written by a package script
     * with a wide umask) its owner's only, and says what that means once, for the log. The agent
     * starts all the same: refusing would leave the host unmonitored for a mode it can fix itself.
     *
     * @return what was done and the remedy, when the file was readable or writable by others
     */
    Optional<String> tightenIdentity() {
        Path f = dir.resolve(IDENTITY_FILE);
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = Files.getPosixFilePermissions(f);
            java.util.Set<java.nio.file.attribute.PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
            if (ownerOnly.containsAll(mode)) {
                return Optional.empty();
            }
            Files.setPosixFilePermissions(f, ownerOnly);
            String id = identity().map(Identity::collectorId).orElse("{id}");
            return Optional.of("the identity file " + f + " was " + PosixFilePermissions.toString(mode)
                    + " (others could read it); it is now rw------- (its owner's only). Its refresh token may have"
                    + " been read by others: revoke this collector's tokens (POST /api/v1/collectors/" + id
                    + "/revoke) and re-bind the agent with an enrolment token (POST /api/v1/collectors/" + id
                    + "/enrolment-token, then enrolment_token_file)");
        } catch (java.nio.file.NoSuchFileException | UnsupportedOperationException e) {
            return Optional.empty();
        } catch (IOException e) {
            // Said whole in the message: the agent prints it as it stops, without the cause.
            String why = reason(e);
            throw new UncheckedIOException("cannot make " + f + " readable by its owner only (" + why + ")",
                    new IOException(why, e));
        }
    }

    Optional<Identity> identity() {
        Path f = dir.resolve(IDENTITY_FILE);
        String text;
        try {
            text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        } catch (java.nio.file.NoSuchFileException e) {
            // Only a file that is not there is no identity: one the agent may not see is not a new host.
            return Optional.empty();
        } catch (IOException e) {
            // Said whole in the message: the agent prints it as it stops, without the cause.
            String why = reason(e);
            throw new UncheckedIOException("cannot read " + f + " (" + why + "); the agent does not start rather than"
                    + " register this host as a new collector", new IOException(why, e));
        }
        Properties p = new Properties();
        try {
            p.load(new java.io.StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw damaged(f, "it is not a properties file");
        }
        String id = p.getProperty("collector_id", "").strip();
        // A file that is there but names no usable collector is damaged, not absent: registering
        // afresh would silently make this host a second collector and overwrite the evidence.
        if (!CollectorId.isValid(id)) {
            throw damaged(f, id.isEmpty() ? "it names no collector_id" : "its collector_id is not a collector id");
        }
        String refresh = p.getProperty("refresh_token", "").strip();
        // Without its refresh token the agent cannot prove it is this collector: the server would
        // refuse it at the first refresh and the log would blame the server for a local file.
        if (refresh.isEmpty()) {
            throw damaged(f, "it holds no refresh_token");
        }
        if (!refresh.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw damaged(f, "its refresh_token is not visible ASCII");
        }
        // The agent ends every file it writes with a line break: one without was cut short (a full
        // disk, a copy interrupted), most likely inside the token, which would then be refused.
        if (!text.endsWith("\n")) {
            throw damaged(f, "it ends in the middle of a line, cut short");
        }
        Identity read = new Identity(id, refresh);
        held = Optional.of(read);
        return Optional.of(read);
    }

    private static IllegalStateException damaged(Path f, String why) {
        return new IllegalStateException("the identity file " + f + " is damaged (" + why + "); the agent does not"
                + " start rather than register this host as a second collector. Restore the file from a backup; or,"
                + " to keep the collector id, delete it and put an enrolment token for that id"
                + " (POST /api/v1/collectors/{id}/enrolment-token) in enrolment_token_file; or delete it to register"
                + " as a new collector");
    }

    void saveIdentity(Identity identity) {
        // Held before it is written: the agent uses it whether or not the disk takes it, and a
        // directory made again later must get this one, not the one read at start.
        held = Optional.of(identity);
        try {
            writeIdentity(identity);
        } catch (UncheckedIOException e) {
            identityUnsaved = true;
            throw e;
        }
        identityUnsaved = false;
        synchronized (restoring) {
            saidLost = false;
        }
    }

    private static String identityText(Identity identity) {
        return "# pgfleet agent identity; keep secret\ncollector_id=" + identity.collectorId()
                + "\nrefresh_token=" + identity.refreshToken() + "\n";
    }

    /** The file that keeps room for the identity on a full file system ({@link #writeIdentity}). */
    static final String RESERVE = "identity.reserve";
    /** The room kept: a few blocks, for the identity's temporary file (a few hundred bytes) and the directory. */
    private static final int RESERVE_CHARACTERS = 16 * 1024;

    /**
     * Writes the identity. On a full file system (or a user's quota) the room kept for it in
     * {@value #RESERVE} is given up and the write tried again: the server has rotated the refresh
     * token already, and the one on disk would lock the agent out at its next start. The room is
     * kept again at the next identity write that finds it.
     */
    private void writeIdentity(Identity identity) {
        Path f = dir.resolve(IDENTITY_FILE);
        try {
            write(f, identityText(identity));
        } catch (UncheckedIOException e) {
            if (!full(e) || !giveUpReserve()) {
                throw e;
            }
            write(f, identityText(identity));
            warn.accept("warning: the file system of the state directory " + dir + " is full ("
                    + e.getCause().getMessage() + "): the new refresh token of collector " + identity.collectorId()
                    + " is written into the room the agent keeps for it (" + RESERVE + "). Free space there: when"
                    + " other writers take that room before the agent keeps it again, a later refresh cannot be kept on"
                    + " disk, and a restart after it leaves the agent locked out until re-enrolled");
            return;
        }
        keepReserve();
    }

    /** Whether a write failed for want of room: a full file system, or the user's quota. */
    private static boolean full(UncheckedIOException e) {
        String why = e.getCause() != null ? String.valueOf(e.getCause().getMessage()) : "";
        return why.equals("no space left on device") || why.equalsIgnoreCase("Disk quota exceeded");
    }

    private boolean giveUpReserve() {
        try {
            return Files.deleteIfExists(dir.resolve(RESERVE));
        } catch (IOException e) {
            return false;
        }
    }

    /** Keeps room for the identity when none is kept: a {@code stat}, and a 16 KiB write when it is missing. */
    private void keepReserve() {
        Path f = dir.resolve(RESERVE);
        if (Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // Letters that do not compress to nothing, so that a file system that compresses still allocates the room.
        java.util.SplittableRandom random = new java.util.SplittableRandom(RESERVE_CHARACTERS);
        StringBuilder text = new StringBuilder(RESERVE_CHARACTERS)
                .append("# room kept for identity.properties when the disk is full; safe to delete\n");
        while (text.length() < RESERVE_CHARACTERS - 1) {
            text.append((char) ('a' + random.nextInt(26)));
        }
        try {
            write(f, text.append('\n').toString());
        } catch (UncheckedIOException e) {
            // No room yet: kept at a later identity write.
        }
    }

    /**
     * Puts the identity the agent holds back on disk when it is not there: the state directory or
     * the file was deleted while the agent ran. Checked once a minute and when the agent stops, so
     * that an agent that happens to write nothing meanwhile does not restart as a new collector. When
     * it cannot be put back, the agent says plainly what a restart would do: once while it runs, and
     * again when it stops. Looks too whether the directory is still this agent's ({@link #stillHeld}),
     * and at the stop writes the newest refresh token when the disk refused it before.
     *
     * @param stopping whether the agent is stopping
     */
    public void keepIdentity(boolean stopping) {
        Optional<Identity> identity = held;
        if (identity.isEmpty() || lostTo.isPresent()) {
            return;
        }
        try {
            stillHeld(dir.resolve(IDENTITY_FILE), false);
        } catch (NotThisAgents e) {
            return;
        }
        if (stopping && identityUnsaved) {
            keepUnsavedAtStop(identity.get());
        }
        if (Files.exists(dir.resolve(IDENTITY_FILE))) {
            return;
        }
        synchronized (restoring) {
            try {
                if (!Files.isDirectory(dir)) {
                    restore();
                } else if (!Files.exists(dir.resolve(IDENTITY_FILE))) {
                    stillHeld(dir.resolve(IDENTITY_FILE), false);
                    try {
                        writeAtomically(dir.resolve(IDENTITY_FILE), out -> out.write(identityText(held.orElseThrow())),
                                this::reason);
                        warn.accept("warning: the identity file " + dir.resolve(IDENTITY_FILE) + " was gone (deleted while"
                                + " the agent ran); it is written again with the identity of collector "
                                + identity.get().collectorId());
                        saidLost = false;
                    } catch (UncheckedIOException e) {
                        lost("the identity file was gone and cannot be written again: " + e.getCause().getMessage());
                    }
                }
            } catch (NotThisAgents e) {
                // Another agent's directory now: nothing of this one's goes there.
                return;
            }
            if (stopping && !Files.exists(dir.resolve(IDENTITY_FILE))) {
                // Said again at the stop: the restart that follows is what it warns of.
                saidLost = false;
                lost(lostWhy.isEmpty() ? "the identity file is gone" : lostWhy);
            }
        }
    }

    /**
     * At the stop: the newest refresh token, which the disk refused (full), is tried once more;
     * when it still cannot be written, what the restart will meet is said plainly.
     */
    private void keepUnsavedAtStop(Identity identity) {
        try {
            writeIdentity(identity);
            identityUnsaved = false;
        } catch (NotThisAgents e) {
            // nothing of this agent's goes there
        } catch (UncheckedIOException e) {
            if (!Files.exists(dir.resolve(IDENTITY_FILE))) {
                // No identity on disk at all: what a restart does then is said below.
                return;
            }
            String id = identity.collectorId();
            warn.accept("warning: the newest refresh token of collector " + id + " is not on disk (" + e.getMessage()
                    + ": " + e.getCause().getMessage() + "): " + IDENTITY_FILE + " holds the one before it, which the"
                    + " server has replaced. At the restart the server takes that one for a stolen token and revokes the"
                    + " collector's tokens: the agent is then locked out until re-bound with an enrolment token for " + id
                    + " (POST /api/v1/collectors/" + id + "/enrolment-token, then enrolment_token_file)");
        }
    }

    /**
     * Makes the directory again after it disappeared, locks it again, and writes back the identity
     * and the last-known-good the agent holds; says so once, or what it costs when the directory
     * cannot be made. Under {@link #restoring}.
     *
     * @return whether the directory is there now
     * @throws NotThisAgents when another agent made it and holds it
     */
    private boolean restore() {
        if (Files.isDirectory(dir)) {
            return true;
        }
        try {
            makeDirectory();
        } catch (IOException e) {
            lost("the state directory " + dir + " was gone and cannot be made again: " + reason(e));
            return false;
        }
        // Locked before anything is written into it: a second agent started on it now is refused.
        stillHeld(dir, true);
        Optional<Identity> identity = held;
        Optional<Cached> good = heldGood;
        List<String> back = new java.util.ArrayList<>();
        try {
            if (identity.isPresent()) {
                writeAtomically(dir.resolve(IDENTITY_FILE), out -> out.write(identityText(identity.get())), this::reason);
                back.add("the identity of collector " + identity.get().collectorId());
                saidLost = false;
            }
            if (good.isPresent()) {
                writeAtomically(dir.resolve(LKG), out -> out.write(good.get().document()), this::reason);
                writeAtomically(dir.resolve(LKG_VERSION), out -> out.write(Integer.toString(good.get().version())),
                        this::reason);
                back.add("the last-known-good configuration (version " + good.get().version() + ")");
            }
        } catch (UncheckedIOException e) {
            lost("the state directory " + dir + " was gone, was made again, and cannot be written: "
                    + e.getCause().getMessage());
            return true;
        }
        warn.accept("warning: the state directory " + dir + " was gone (deleted while the agent ran); it is made"
                + " again, mode 0700" + (back.isEmpty() ? "" : ", with " + String.join(" and ", back))
                + ". Samples not delivered yet are written there again as usual");
        return true;
    }

    // ---- one agent per directory, for as long as it runs --------------------------------------

    /** This agent's hold on the directory, once {@link #hold} took it; empty when it cannot be locked. */
    private volatile Optional<StateDirectoryLock> lock = Optional.empty();
    /** Told, once, when another agent took the directory while this one ran. */
    private volatile java.util.function.Consumer<String> onLost = m -> { };
    /** Why the directory is no longer this agent's, once another agent took it: nothing is written there any more. */
    private volatile Optional<String> lostTo = Optional.empty();

    /** A state write refused because the directory is another agent's now. */
    static final class NotThisAgents extends UncheckedIOException {
        private NotThisAgents(Path target, String why) {
            super("cannot write " + target, new IOException(why));
        }
    }

    /**
     * Takes the directory for this agent ({@link StateDirectoryLock}) and keeps it so: every state
     * write first looks whether the lock file there is still the one it locked (a {@code stat}), and
     * locks the one there when it is gone or another (the directory deleted or made again while the
     * agent ran). Keeps room for the identity on a full disk ({@value #RESERVE}).
     *
     * @param lost told, once, when another agent holds the directory now (it started on the directory
     *             made again): this agent must stop, and writes nothing more there
     * @throws IllegalStateException when another agent holds the directory
     */
    void hold(java.util.function.Consumer<String> lost) {
        onLost = lost;
        lock = StateDirectoryLock.take(dir);
        if (lock.isPresent()) {
            keepReserve();
        }
    }

    /** Lets another agent take the directory; the last thing the agent does with it. */
    void release() {
        lock.ifPresent(StateDirectoryLock::close);
    }

    /**
     * Before a state write: whether the directory is still this agent's. A lock file gone or
     * replaced is locked again (and said, unless this agent made the directory again itself); one
     * that another agent holds ends this agent's use of the directory, once, through {@link #hold}'s
     * {@code lost}.
     *
     * @param target the file to be written
     * @param remade whether this agent has just made the directory again (it says so itself)
     * @throws NotThisAgents when the directory is another agent's now
     */
    private void stillHeld(Path target, boolean remade) {
        if (lostTo.isEmpty()) {
            Optional<StateDirectoryLock> l = lock;
            if (l.isEmpty()) {
                return;
            }
            switch (l.get().check()) {
                case StateDirectoryLock.Hold.Kept k -> {
                    return;
                }
                case StateDirectoryLock.Hold.Unlockable u -> {
                    // The write meets what the lock met (a directory gone, not writable), and says so.
                    return;
                }
                case StateDirectoryLock.Hold.TakenAgain t -> {
                    if (!remade) {
                        warn.accept("warning: the lock file " + dir.resolve(StateDirectoryLock.FILE) + " was gone or"
                                + " replaced (the state directory deleted or made again while the agent ran); the agent"
                                + " locked it again, so a second agent started there is still refused");
                    }
                    return;
                }
                case StateDirectoryLock.Hold.Lost h -> takenOver(h.holder());
            }
        }
        throw new NotThisAgents(target, lostTo.orElseThrow());
    }

    /** Ends this agent's use of the directory, once, and says why. */
    private void takenOver(String holder) {
        synchronized (restoring) {
            if (lostTo.isPresent()) {
                return;
            }
            lostTo = Optional.of("the state directory " + dir + " is another agent's" + holder + " now");
        }
        Optional<String> id = held.map(Identity::collectorId);
        onLost.accept("the state directory " + dir + " was deleted or made again while this agent ran, and another"
                + " agent" + holder + " started on it and holds it now: two agents there would be one collector with one"
                + " refresh token between them. This agent" + id.map(i -> " (collector " + i + ")").orElse("")
                + " stops, and writes nothing more there." + id.map(i -> " If the other agent registered this host as a"
                + " new collector, collector " + i + " is left without an agent: decommission it, or re-bind the host to"
                + " it (stop the agent, delete " + dir.resolve(IDENTITY_FILE) + ", and give it an enrolment token for "
                + i + ": POST /api/v1/collectors/" + i + "/enrolment-token, then enrolment_token_file)").orElse(""));
    }

    /** Says, once until the identity is on disk again, that it is not and what a restart would do. Under {@link #restoring}. */
    private void lost(String why) {
        Optional<Identity> identity = held;
        if (identity.isEmpty() || saidLost) {
            return;
        }
        saidLost = true;
        lostWhy = why;
        String id = identity.get().collectorId();
        warn.accept("warning: the identity of collector " + id + " is no longer on disk (" + why + "): a restart"
                + " would register this host as a new collector. Put the directory " + dir + " back, owned by the"
                + " agent's user with mode 0700 (the agent writes its identity there within a minute), or, before the"
                + " agent restarts, give it an enrolment token for " + id + " (POST /api/v1/collectors/" + id
                + "/enrolment-token, then enrolment_token_file): it then starts as collector " + id + " again");
    }

    /**
     * The key of the registration under way, written before it is first sent: an agent stopped
     * between sending and receiving the answer sends it again when it restarts.
     */
    @Override
    public synchronized String registrationKey() {
        Path f = dir.resolve(REGISTRATION_KEY);
        if (Files.exists(f)) {
            try {
                String kept = Files.readString(f).strip();
                if (KEY_SYNTAX.matcher(kept).matches()) {
                    return kept;
                }
            } catch (java.nio.charset.MalformedInputException e) {
                // not text: replaced below, as a damaged key is
            } catch (IOException e) {
                // Not replaced: the key of a registration whose answer was lost is what keeps this host
                // from being registered twice.
                throw new UncheckedIOException("cannot read " + f + " (" + reason(e) + ")", e);
            }
        }
        String key = ServerClient.RegistrationKeys.newKey();
        write(f, key + "\n");
        return key;
    }

    @Override
    public synchronized void forgetRegistrationKey() {
        Path f = dir.resolve(REGISTRATION_KEY);
        stillHeld(f, false);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // The cause says why in plain words: an AccessDeniedException's own message is a path.
            throw new UncheckedIOException("cannot delete " + f, new IOException(reason(e), e));
        }
    }

    /** The most bytes of a kept document: the server takes documents of 256 KiB. */
    private static final long MAX_LKG_BYTES = 1024 * 1024;

    @Override
    public Optional<Cached> lastKnownGood() {
        Path doc = dir.resolve(LKG);
        Path version = dir.resolve(LKG_VERSION);
        boolean hasDoc = Files.exists(doc, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        boolean hasVersion = Files.exists(version, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (!hasDoc && !hasVersion) {
            return Optional.empty();
        }
        if (!hasVersion) {
            throw new UnusableCopy(java.util.OptionalInt.empty(), LKG + " is there but " + LKG_VERSION + " is missing");
        }
        int v = keptVersion(version);
        java.util.OptionalInt known = java.util.OptionalInt.of(v);
        if (!hasDoc) {
            throw new UnusableCopy(known, LKG_VERSION + " is there but " + LKG + " is missing");
        }
        if (!Files.isRegularFile(doc)) {
            throw new UnusableCopy(known, LKG + " is not a file");
        }
        try {
            if (Files.size(doc) > MAX_LKG_BYTES) {
                throw new UnusableCopy(known, LKG + " is larger than any configuration (more than 1 MiB)");
            }
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(doc)))
                    .toString();
            if (text.chars().anyMatch(c -> c == 0)) {
                throw new UnusableCopy(known, LKG + " is not a TOML document (it holds binary data)");
            }
            Cached read = new Cached(v, text);
            heldGood = Optional.of(read);
            return Optional.of(read);
        } catch (CharacterCodingException e) {
            throw new UnusableCopy(known, LKG + " is not a TOML document (it is not UTF-8 text)");
        } catch (IOException e) {
            throw new UnusableCopy(known, LKG + " cannot be read (" + reason(e) + ")");
        }
    }

    /** The version a kept copy names: a whole number from 1 to 2,147,483,647, as the server numbers them. */
    private int keptVersion(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UnusableCopy(java.util.OptionalInt.empty(), LKG_VERSION + " is not a file");
        }
        String text;
        try {
            if (Files.size(file) > 64) {
                throw new UnusableCopy(java.util.OptionalInt.empty(), LKG_VERSION + " holds no version number");
            }
            text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).strip();
        } catch (IOException e) {
            throw new UnusableCopy(java.util.OptionalInt.empty(), LKG_VERSION + " cannot be read (" + reason(e) + ")");
        }
        try {
            int v = Integer.parseInt(text);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // said below, with what a version is
        }
        throw new UnusableCopy(java.util.OptionalInt.empty(), LKG_VERSION
                + " holds no version number (a whole number from 1 to 2147483647)");
    }

    @Override
    public void saveLastKnownGood(Cached cached) {
        // The document first, then the version that names it: a crash in between leaves an older
        // version number with a newer document, which the next pull simply replaces.
        heldGood = Optional.of(cached);
        write(dir.resolve(LKG), cached.document());
        write(dir.resolve(LKG_VERSION), Integer.toString(cached.version()));
    }

    /** A sample read back, with the id of the batch it was sent in (empty when none). */
    private record Kept(String batchId, Sample sample) {
    }

    /** One provider for every line: looking it up per line scans the class path each time. */
    private static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    @Override
    public Loaded load(int most) {
        if (most < 1) {
            throw new IllegalArgumentException("most is positive");
        }
        Path f = dir.resolve(UNSENT);
        if (!Files.exists(f)) {
            return Loaded.whole(Unsent.NOTHING);
        }
        // The newest `most` only, the older pushed out as they are read: a file written with a larger
        // buffer_samples (and the heap it needed) is never held whole in a heap sized for the buffer now.
        java.util.ArrayDeque<Kept> kept = new java.util.ArrayDeque<>();
        long older = 0;
        int lineNo = 0;
        int skipped = 0;
        java.util.List<String> reasons = new java.util.ArrayList<>();
        // Streamed a line at a time: the agent's heap holds the samples, not the file's text as well.
        // Decoded leniently: a damaged byte spoils its line (which then is no JSON), not the file.
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                Files.newInputStream(f), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                Sample sample;
                String id;
                try {
                    if (line.length() > MAX_SPOOL_LINE) {
                        throw new IllegalArgumentException("longer than any sample");
                    }
                    jakarta.json.JsonObject o = object(line);
                    sample = sample(o);
                    id = text(o, "batch_id", false);
                } catch (IllegalArgumentException e) {
                    // One line lost is one sample lost; the others are still what the last run could not deliver.
                    skipped++;
                    if (reasons.size() < Loaded.MAX_REASONS) {
                        reasons.add("line " + lineNo + ": " + e.getMessage());
                    }
                    continue;
                }
                if (kept.size() == most) {
                    kept.pollFirst();
                    older++;
                }
                kept.addLast(new Kept(id, sample));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + f + " (" + reason(e) + ")", e);
        }
        java.util.List<Batch> batches = new java.util.ArrayList<>();
        java.util.List<Sample> buffered = new java.util.ArrayList<>();
        String batchId = "";
        java.util.List<Sample> batch = new java.util.ArrayList<>();
        for (Kept k : kept) {
            if (!k.batchId().equals(batchId) && !batch.isEmpty()) {
                batches.add(new Batch(batchId, batch));
                batch = new java.util.ArrayList<>();
            }
            batchId = k.batchId();
            if (batchId.isEmpty()) {
                buffered.add(k.sample());
            } else {
                batch.add(k.sample());
            }
        }
        if (!batch.isEmpty()) {
            batches.add(new Batch(batchId, batch));
        }
        return new Loaded(new Unsent(batches, buffered), skipped, reasons, older);
    }

    /** A line's JSON object; anything else is damage, said in plain words. */
    private static jakarta.json.JsonObject object(String line) {
        try (jakarta.json.JsonReader r = JSON.createReader(new java.io.StringReader(line))) {
            return r.readObject();
        } catch (jakarta.json.JsonException e) {
            throw new IllegalArgumentException(line.isBlank() ? "empty" : "not a JSON object");
        }
    }

    /** A sample as {@link #line} writes it; every field checked, so a damaged line is named, not cast. */
    private static Sample sample(jakarta.json.JsonObject o) {
        String name = text(o, "name", true);
        if (!(o.get("labels") instanceof jakarta.json.JsonObject labelObject)) {
            throw new IllegalArgumentException("labels must be an object");
        }
        java.util.Map<String, String> labels = new java.util.LinkedHashMap<>();
        labelObject.forEach((k, v) -> {
            if (!(v instanceof jakarta.json.JsonString s)) {
                throw new IllegalArgumentException("labels must be text");
            }
            labels.put(k, s.getString());
        });
        if (!(o.get("value") instanceof jakarta.json.JsonNumber value)) {
            throw new IllegalArgumentException("value must be a number");
        }
        java.time.Instant ts;
        try {
            ts = java.time.Instant.parse(text(o, "ts", true));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("ts must be a time such as 2026-12-01T10:00:00Z");
        }
        try {
            return new Sample(name, labels, value.doubleValue(), ts);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a sample (" + e.getMessage() + ")");
        }
    }

    /** A text field; a missing optional one is empty. */
    private static String text(jakarta.json.JsonObject o, String key, boolean required) {
        jakarta.json.JsonValue v = o.get(key);
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException(key + " is missing");
            }
            return "";
        }
        if (!(v instanceof jakarta.json.JsonString s)) {
            throw new IllegalArgumentException(key + " must be text");
        }
        return s.getString();
    }

    @Override
    public void save(Unsent unsent) {
        Path target = dir.resolve(UNSENT);
        write(target, out -> {
            for (Batch b : unsent.batches()) {
                for (Sample s : b.samples()) {
                    line(out, b.id(), s);
                }
            }
            for (Sample s : unsent.buffered()) {
                line(out, "", s);
            }
        });
    }

    private static void line(java.io.Writer out, String batchId, Sample s) throws IOException {
        jakarta.json.JsonObjectBuilder labels = jakarta.json.Json.createObjectBuilder();
        s.labels().forEach(labels::add);
        jakarta.json.JsonObjectBuilder o = jakarta.json.Json.createObjectBuilder();
        if (!batchId.isEmpty()) {
            o.add("batch_id", batchId);
        }
        out.write(o.add("name", s.name()).add("labels", labels).add("value", s.value())
                .add("ts", s.ts().toString()).build().toString());
        out.write('\n');
    }

    @Override
    public void clear() {
        Path f = dir.resolve(UNSENT);
        stillHeld(f, false);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // The cause says why in plain words: an AccessDeniedException's own message is a path.
            throw new UncheckedIOException("cannot delete " + f, new IOException(reason(e), e));
        }
    }

    /**
     * Writes a file so that readers see the old or the new content, never a mix.
     *
     * @param target the file
     * @param text   its new content
     */
    /** A new file, readable and writable by its owner only where the file system knows POSIX modes. */
    private static FileChannel create(Path file) throws IOException {
        java.util.Set<StandardOpenOption> options = java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            return FileChannel.open(file, options, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the directory's own protection applies
            return FileChannel.open(file, options);
        }
    }

    static void writeAtomically(Path target, String text) {
        writeAtomically(target, out -> out.write(text), AgentState::plainReason);
    }

    private void write(Path target, String text) {
        write(target, out -> out.write(text));
    }

    /**
     * Writes a file of the state directory; one that fails because the directory is gone makes it
     * again ({@link #restore()}) and is tried once more.
     */
    private void write(Path target, Content content) {
        stillHeld(target, false);
        try {
            writeAtomically(target, content, this::reason);
        } catch (UncheckedIOException e) {
            if (Files.isDirectory(dir)) {
                throw e;
            }
            boolean there;
            synchronized (restoring) {
                there = restore();
            }
            if (!there) {
                throw e;
            }
            writeAtomically(target, content, this::reason);
        }
    }

    /** Writes a file's content as it is produced. */
    private interface Content {
        void writeTo(java.io.Writer out) throws IOException;
    }

    private static void writeAtomically(Path target, Content content, java.util.function.Function<IOException, String> why) {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            // Created 0600 in the same call that creates it, never chmod'ed afterwards: a file made
            // with the umask's mode and tightened later would hold the token readable meanwhile. A
            // temporary file left by a crash keeps the mode it had when opened again, so it goes first.
            Files.deleteIfExists(tmp);
            try (FileChannel ch = create(tmp)) {
                java.io.Writer out = new java.io.BufferedWriter(java.nio.channels.Channels.newWriter(ch,
                        StandardCharsets.UTF_8.newEncoder(), 8192));
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot fsync a directory; the rename is still atomic
            }
        } catch (IOException e) {
            // A temporary file cut short (a full disk) would otherwise hold its space until the
            // next write of this file, which may never come (the spool is deleted, not rewritten).
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | RuntimeException ignored) {
                // the write's own failure is what is reported
            }
            // The cause says why in plain words: a NoSuchFileException's own message is a path.
            throw new UncheckedIOException("cannot write " + target, new IOException(why.apply(e), e));
        }
    }
}
