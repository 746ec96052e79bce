package io.pgfleet.agent;

import io.pgfleet.agent.core.LastKnownGoodStore;
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

    /**
     * The state in a directory, created when missing with owner-only permissions.
     *
     * @param dir the state directory
     */
    public AgentState(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: rely on the directory's own protection
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state directory " + dir, e);
        }
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
            throw new UncheckedIOException("cannot make " + f + " readable by its owner only", e);
        }
    }

    Optional<Identity> identity() {
        Path f = dir.resolve(IDENTITY_FILE);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(f)) {
            p.load(in);
        } catch (CharacterCodingException | IllegalArgumentException e) {
            throw damaged(f, "it is not a properties file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
        String id = p.getProperty("collector_id", "").strip();
        // A file that is there but names no usable collector is damaged, not absent: registering
        // afresh would silently make this host a second collector and overwrite the evidence.
        if (!CollectorId.isValid(id)) {
            throw damaged(f, id.isEmpty() ? "it names no collector_id" : "its collector_id is not a collector id");
        }
        return Optional.of(new Identity(id, p.getProperty("refresh_token", "").strip()));
    }

    private static IllegalStateException damaged(Path f, String why) {
        return new IllegalStateException("the identity file " + f + " is damaged (" + why + "); the agent does not"
                + " start rather than register this host as a second collector. Restore the file from a backup; or,"
                + " to keep the collector id, delete it and put an enrolment token for that id"
                + " (POST /api/v1/collectors/{id}/enrolment-token) in enrolment_token_file; or delete it to register"
                + " as a new collector");
    }

    void saveIdentity(Identity identity) {
        String text = "# pgfleet agent identity; keep secret\ncollector_id=" + identity.collectorId()
                + "\nrefresh_token=" + identity.refreshToken() + "\n";
        writeAtomically(dir.resolve(IDENTITY_FILE), text);
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
        writeAtomically(f, key + "\n");
        return key;
    }

    @Override
    public synchronized void forgetRegistrationKey() {
        Path f = dir.resolve(REGISTRATION_KEY);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + f, e);
        }
    }

    @Override
    public Optional<Cached> lastKnownGood() {
        Path doc = dir.resolve(LKG);
        Path version = dir.resolve(LKG_VERSION);
        if (!Files.exists(doc) || !Files.exists(version)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Cached(Integer.parseInt(Files.readString(version).trim()), Files.readString(doc)));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void saveLastKnownGood(Cached cached) {
        // The document first, then the version that names it: a crash in between leaves an older
        // version number with a newer document, which the next pull simply replaces.
        writeAtomically(dir.resolve(LKG), cached.document());
        writeAtomically(dir.resolve(LKG_VERSION), Integer.toString(cached.version()));
    }

    @Override
    public Unsent load() {
        Path f = dir.resolve(UNSENT);
        if (!Files.exists(f)) {
            return Unsent.NOTHING;
        }
        java.util.List<Batch> batches = new java.util.ArrayList<>();
        java.util.List<Sample> buffered = new java.util.ArrayList<>();
        String batchId = "";
        java.util.List<Sample> batch = new java.util.ArrayList<>();
        int lineNo = 0;
        // Streamed a line at a time: the agent's heap holds the samples, not the file's text as well.
        try (java.io.BufferedReader in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.length() > MAX_SPOOL_LINE) {
                    throw new IllegalStateException(f + " line " + lineNo + " is longer than any sample");
                }
                jakarta.json.JsonObject o;
                try (jakarta.json.JsonReader r = jakarta.json.Json.createReader(new java.io.StringReader(line))) {
                    o = r.readObject();
                }
                Sample sample = sample(o);
                String id = o.getString("batch_id", "");
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
            throw new IllegalStateException("cannot read " + f + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException(f + " line " + lineNo + " is not a kept sample: " + e.getMessage(), e);
        }
        if (!batch.isEmpty()) {
            batches.add(new Batch(batchId, batch));
        }
        return new Unsent(batches, buffered);
    }

    private static Sample sample(jakarta.json.JsonObject o) {
        java.util.Map<String, String> labels = new java.util.LinkedHashMap<>();
        o.getJsonObject("labels").forEach((k, v) -> labels.put(k, ((jakarta.json.JsonString) v).getString()));
        return new Sample(o.getString("name"), labels, o.getJsonNumber("value").doubleValue(),
                java.time.Instant.parse(o.getString("ts")));
    }

    @Override
    public void save(Unsent unsent) {
        Path target = dir.resolve(UNSENT);
        writeAtomically(target, out -> {
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
            throw new UncheckedIOException("cannot delete " + f, e);
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
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }
}
