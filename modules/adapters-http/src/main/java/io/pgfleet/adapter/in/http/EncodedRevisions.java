package io.pgfleet.adapter.in.http;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.pgfleet.domain.config.ConfigRevision;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

/**
 * The encoded answer of a configuration revision (its headers, its body and, once asked for, its
 * gzip body), made once and shared by every request that answers the same revision: the watchers
 * woken by one change, and repeated reads. The encoding depends on nothing but the revision's
 * number, content and time, so a shared answer is byte for byte the one each request would have
 * made.
 *
 * <p>Bounded: at most {@link #MAX_ENTRIES} answers; when full it starts over (the next requests
 * encode again), which costs what encoding always cost and never serves a wrong answer.
 */
final class EncodedRevisions {

    /** How many encoded answers are kept at most (about 4 KB each for a 3 KB document). */
    static final int MAX_ENTRIES = 4096;

    private static final EncodedRevisions SHARED = new EncodedRevisions();

    private final ConcurrentHashMap<Key, Encoded> answers = new ConcurrentHashMap<>();

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
     * One revision's answer. The gzip body is made by the first request that accepts it.
     */
    static final class Encoded {
        final Header version;
        final Header etag;
        final Header lastModified;
        final String etagValue;
        final byte[] body;
        private volatile byte[] gzip;

        private Encoded(ConfigRevision r) {
            this.version = HeaderValues.create(ConfigHttpService.CONFIG_VERSION, r.version().toString());
            this.etagValue = r.entityTag().quoted();
            this.etag = HeaderValues.create(HeaderNames.ETAG, etagValue);
            this.lastModified = HeaderValues.create(HeaderNames.LAST_MODIFIED, HttpDates.header(r.createdAt()));
            this.body = r.document().text().getBytes(StandardCharsets.UTF_8);
        }

        /** The gzip body; made at most a few times when several requests ask at the same moment. */
        byte[] gzip() {
            byte[] g = gzip;
            if (g == null) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 3 + 64);
                try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                    gz.write(body);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                g = out.toByteArray();
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
        e = new Encoded(revision);
        if (answers.size() >= MAX_ENTRIES) {
            answers.clear();
        }
        Encoded raced = answers.putIfAbsent(key, e);
        return raced == null ? e : raced;
    }

    /** How many answers are kept now (for tests). */
    int size() {
        return answers.size();
    }
}
