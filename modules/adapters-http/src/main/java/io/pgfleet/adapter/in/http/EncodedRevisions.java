package io.pgfleet.adapter.in.http;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.pgfleet.domain.config.ConfigRevision;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The encoded answer of a configuration revision (its headers, its body and, once asked for, its
 * gzip body), made once and shared by every request that answers the same revision: the watchers
 * woken by one change, and repeated reads. The encoding depends on nothing but the revision's
 * number, content and time, so a shared answer is byte for byte the one each request would have
 * made. The body and its gzip form depend on the content alone and are shared by every revision
 * with that content (the members of a group or fleet change often share a few distinct documents).
 *
 * <p>Bounded: at most {@link #MAX_ENTRIES} answers and as many bodies; when full it starts over
 * (the next requests encode again), which costs what encoding always cost and never serves a wrong
 * answer.
 */
final class EncodedRevisions {

    /** How many encoded answers are kept at most (about 4 KB each for a 3 KB document). */
    static final int MAX_ENTRIES = 4096;

    private static final EncodedRevisions SHARED = new EncodedRevisions();

    private final ConcurrentHashMap<Key, Encoded> answers = new ConcurrentHashMap<>();
    /** Bodies by the SHA-256 of their content (the revision's hash, checked against its document). */
    private final ConcurrentHashMap<String, Body> bodies = new ConcurrentHashMap<>();

    private record Key(int version, String sha256, Instant createdAt) {
    }

    /** The revision answered last and its answer, compared by identity. */
    private record Last(ConfigRevision revision, Encoded encoded) {
    }

    /**
     * The watchers one change wakes answer with the same revision object (the cache's): the first
     * looks it up by key, the others find it here without hashing a key of 64 hex digits each.
     */
    private volatile java.util.Optional<Last> last = java.util.Optional.empty();

    /**
     * One revision's answer: its own headers, and the body (with its gzip form) of its content.
     */
    static final class Encoded {
        final Header version;
        final Header etag;
        final Header lastModified;
        final String etagValue;
        final byte[] body;
        private final Body content;

        private Encoded(ConfigRevision r, Body content) {
            this.version = HeaderValues.create(ConfigHttpService.CONFIG_VERSION, r.version().toString());
            this.etagValue = r.entityTag().quoted();
            this.etag = HeaderValues.create(HeaderNames.ETAG, etagValue);
            this.lastModified = HeaderValues.create(HeaderNames.LAST_MODIFIED, HttpDates.header(r.createdAt()));
            this.content = content;
            this.body = content.bytes;
        }

        /** The gzip body; made at most a few times when several requests ask at the same moment. */
        byte[] gzip() {
            return content.gzip();
        }
    }

    /**
     * A document's bytes and, once asked for, their gzip form. Shared by every revision with the same
     * content: a fleet change gives 10,000 collectors new revisions whose documents are often a
     * handful of distinct merges, and compressing each of them separately was 10,000 gzips.
     */
    private static final class Body {
        final byte[] bytes;
        private volatile byte[] gzip;

        Body(byte[] bytes) {
            this.bytes = bytes;
        }

        byte[] gzip() {
            byte[] g = gzip;
            if (g == null) {
                g = Compression.gzip(bytes);
                gzip = g;
            }
            return g;
        }
    }

    /** The answers shared by every request of this server process. */
    static EncodedRevisions shared() {
        return SHARED;
    }

    /**
     * The encoded answer of a revision, made now or earlier.
     *
     * @param revision the revision
     * @return its answer
     */
    Encoded of(ConfigRevision revision) {
        java.util.Optional<Last> l = last;
        if (l.isPresent() && l.get().revision() == revision) {
            return l.get().encoded();
        }
        Encoded found = byKey(revision);
        last = java.util.Optional.of(new Last(revision, found));
        return found;
    }

    private Encoded byKey(ConfigRevision revision) {
        Key key = new Key(revision.version().value(), revision.hash().hex(), revision.createdAt());
        Encoded e = answers.get(key);
        if (e != null) {
            return e;
        }
        e = new Encoded(revision, body(key.sha256(), revision));
        if (answers.size() >= MAX_ENTRIES) {
            answers.clear();
        }
        Encoded raced = answers.putIfAbsent(key, e);
        return raced == null ? e : raced;
    }

    private Body body(String sha256, ConfigRevision revision) {
        Body b = bodies.get(sha256);
        if (b != null) {
            return b;
        }
        b = new Body(revision.document().text().getBytes(StandardCharsets.UTF_8));
        if (bodies.size() >= MAX_ENTRIES) {
            bodies.clear();
        }
        Body raced = bodies.putIfAbsent(sha256, b);
        return raced == null ? b : raced;
    }

    /** How many bodies are kept now (for tests). */
    int bodies() {
        return bodies.size();
    }

    /** How many answers are kept now (for tests). */
    int size() {
        return answers.size();
    }
}
