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
        this.unwritable = Files.isWritable(dir) ? Optional.empty() : Optional.of(chmod.orElse("not writable by this user"));
        this.notOwnerOnly = unwritable.isPresent() ? Optional.empty() : chmod;
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

    /** An I/O failure in plain words: {@code Operation not permitted}, not the exception's class. */
    private static String reason(IOException e) {
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
                + " replace them: make it owned by the agent's user with mode 0700");
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
            throw new UncheckedIOException("cannot make " + f + " readable by its owner only", new IOException(reason(e), e));
        }
    }

    Optional<Identity> identity() {
        Path f = dir.resolve(IDENTITY_FILE);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        String text;
        try {
            text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
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
        write(dir.resolve(IDENTITY_FILE), identityText(identity));
        synchronized (restoring) {
            saidLost = false;
        }
    }

    private static String identityText(Identity identity) {
        return "# pgfleet agent identity; keep secret\ncollector_id=" + identity.collectorId()
                + "\nrefresh_token=" + identity.refreshToken() + "\n";
    }

    /**
     * Puts the identity the agent holds back on disk when it is not there: the state directory or
     * the file was deleted while the agent ran. Checked once a minute and when the agent stops, so
     * that an agent that happens to write nothing meanwhile does not restart as a new collector. When
     * it cannot be put back, the agent says plainly what a restart would do: once while it runs, and
     * again when it stops.
     *
     * @param stopping whether the agent is stopping
     */
    public void keepIdentity(boolean stopping) {
        Optional<Identity> identity = held;
        if (identity.isEmpty() || Files.exists(dir.resolve(IDENTITY_FILE))) {
            return;
        }
        synchronized (restoring) {
            if (!Files.isDirectory(dir)) {
                restore();
            } else if (!Files.exists(dir.resolve(IDENTITY_FILE))) {
                try {
                    writeAtomically(dir.resolve(IDENTITY_FILE), identityText(held.orElseThrow()));
                    warn.accept("warning: the identity file " + dir.resolve(IDENTITY_FILE) + " was gone (deleted while"
                            + " the agent ran); it is written again with the identity of collector "
                            + identity.get().collectorId());
                    saidLost = false;
                } catch (UncheckedIOException e) {
                    lost("the identity file was gone and cannot be written again: " + e.getCause().getMessage());
                }
            }
            if (stopping && !Files.exists(dir.resolve(IDENTITY_FILE))) {
                // Said again at the stop: the restart that follows is what it warns of.
                saidLost = false;
                lost(lostWhy.isEmpty() ? "the identity file is gone" : lostWhy);
            }
        }
    }

    /**
     * Makes the directory again after it disappeared and writes back the identity and the
     * last-known-good the agent holds; says so once, or what it costs when the directory cannot be
     * made. Under {@link #restoring}.
     *
     * @return whether the directory is there now
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
        Optional<Identity> identity = held;
        Optional<Cached> good = heldGood;
        List<String> back = new java.util.ArrayList<>();
        try {
            if (identity.isPresent()) {
                writeAtomically(dir.resolve(IDENTITY_FILE), identityText(identity.get()));
                back.add("the identity of collector " + identity.get().collectorId());
                saidLost = false;
            }
            if (good.isPresent()) {
                writeAtomically(dir.resolve(LKG), good.get().document());
                writeAtomically(dir.resolve(LKG_VERSION), Integer.toString(good.get().version()));
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
            } catch (IOException e) {
                // unreadable: replaced below, as a damaged file would be
            }
        }
        String key = ServerClient.RegistrationKeys.newKey();
        write(f, key + "\n");
        return key;
    }

    @Override
    public synchronized void forgetRegistrationKey() {
        Path f = dir.resolve(REGISTRATION_KEY);
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
    private static int keptVersion(Path file) {
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

    @Override
    public Loaded load() {
        Path f = dir.resolve(UNSENT);
        if (!Files.exists(f)) {
            return Loaded.whole(Unsent.NOTHING);
        }
        java.util.List<Batch> batches = new java.util.ArrayList<>();
        java.util.List<Sample> buffered = new java.util.ArrayList<>();
        String batchId = "";
        java.util.List<Sample> batch = new java.util.ArrayList<>();
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
                if (!id.equals(batchId) && !batch.isEmpty()) {
                    batches.add(new Batch(batchId, batch));
                    batch = new java.util.ArrayList<>();
                }
                batchId = id;
                if (id.isEmpty()) {
                    buffered.add(sample);
                } else {
                    batch.add(sample);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + f + " (" + reason(e) + ")", e);
        }
        if (!batch.isEmpty()) {
            batches.add(new Batch(batchId, batch));
        }
        return new Loaded(new Unsent(batches, buffered), skipped, reasons);
    }

    /** A line's JSON object; anything else is damage, said in plain words. */
    private static jakarta.json.JsonObject object(String line) {
        try (jakarta.json.JsonReader r = jakarta.json.Json.createReader(new java.io.StringReader(line))) {
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
        writeAtomically(target, out -> out.write(text));
    }

    private void write(Path target, String text) {
        write(target, out -> out.write(text));
    }

    /**
     * Writes a file of the state directory; one that fails because the directory is gone makes it
     * again ({@link #restore()}) and is tried once more.
     */
    private void write(Path target, Content content) {
        try {
            writeAtomically(target, content);
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
            writeAtomically(target, content);
        }
    }

    /** Writes a file's content as it is produced. */
    private interface Content {
        void writeTo(java.io.Writer out) throws IOException;
    }

    private static void writeAtomically(Path target, Content content) {
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
            throw new UncheckedIOException("cannot write " + target, new IOException(reason(e), e));
        }
    }
}
