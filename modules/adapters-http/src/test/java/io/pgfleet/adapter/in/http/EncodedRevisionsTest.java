package io.pgfleet.adapter.in.http;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EncodedRevisionsTest {

    private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");

    private static ConfigRevision revision(String collector, int version, String text, Instant at) {
        ConfigDocument doc = new ConfigDocument(text);
        return new ConfigRevision(CollectorId.of(collector), new ConfigVersion(version), doc, doc.hash(), at, "alice", "",
                new RevisionSource.Put());
    }

    private static String document() {
        return "[collector]\npush_interval = 15\n" + "# a note that makes the document worth compressing\n".repeat(40);
    }

    @Test
    void everyRequestForOneRevisionSharesOneEncodedAnswer() throws Exception {
        EncodedRevisions answers = new EncodedRevisions();
        EncodedRevisions.Encoded first = answers.of(revision("db-01", 3, document(), T0));
        EncodedRevisions.Encoded again = answers.of(revision("db-01", 3, document(), T0));
        assertSame(first, again, "the second watcher of the same revision encodes nothing");
        assertSame(first.gzip(), again.gzip(), "nor compresses");
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(first.gzip()))) {
            assertArrayEquals(document().getBytes(StandardCharsets.UTF_8), in.readAllBytes());
        }
        assertEquals("3", first.version.values());
        assertEquals("\"" + revision("db-01", 3, document(), T0).entityTag().value() + "\"", first.etag.values());
        assertEquals(HttpDates.header(T0), first.lastModified.values());
    }

    @Test
    void anotherNumberContentOrTimeIsAnotherAnswer() {
        EncodedRevisions answers = new EncodedRevisions();
        EncodedRevisions.Encoded base = answers.of(revision("db-01", 3, document(), T0));
        assertNotSame(base, answers.of(revision("db-01", 4, document(), T0)));
        assertNotSame(base, answers.of(revision("db-01", 3, document() + "# changed\n", T0)));
        assertNotSame(base, answers.of(revision("db-01", 3, document(), T0.plusSeconds(1))));
    }

    @Test
    void revisionsWithTheSameContentShareOneBodyAndOneCompression() throws Exception {
        // The members of a fleet change: other collectors, other numbers, the same merged document.
        EncodedRevisions answers = new EncodedRevisions();
        EncodedRevisions.Encoded one = answers.of(revision("db-01", 7, document(), T0));
        EncodedRevisions.Encoded other = answers.of(revision("db-02", 12, document(), T0.plusMillis(3)));
        assertNotSame(one, other, "each revision keeps its own headers");
        assertEquals("12", other.version.values());
        assertSame(one.body, other.body, "the content's bytes are made once");
        assertSame(one.gzip(), other.gzip(), "and compressed once");
        EncodedRevisions.Encoded changed = answers.of(revision("db-03", 7, document() + "# other\n", T0));
        assertNotSame(one.body, changed.body);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(changed.gzip()))) {
            assertArrayEquals((document() + "# other\n").getBytes(StandardCharsets.UTF_8), in.readAllBytes());
        }
    }

    @Test
    void staysWithinItsBound() {
        EncodedRevisions answers = new EncodedRevisions();
        for (int i = 1; i <= EncodedRevisions.MAX_ENTRIES + 10; i++) {
            answers.of(revision("db-01", i, "a = " + i, T0));
        }
        assertTrue(answers.size() <= EncodedRevisions.MAX_ENTRIES, "kept " + answers.size());
        assertTrue(answers.bodies() <= EncodedRevisions.MAX_ENTRIES, "kept " + answers.bodies() + " bodies");
    }

    @Test
    void theRevisionAnsweredLastIsFoundAgainAndOthersStillByTheirContent() {
        EncodedRevisions answers = new EncodedRevisions();
        ConfigRevision three = revision("db-01", 3, document(), T0);
        ConfigRevision four = revision("db-01", 4, document(), T0);
        EncodedRevisions.Encoded a = answers.of(three);
        assertSame(a, answers.of(three), "the same revision object: the same answer");
        EncodedRevisions.Encoded b = answers.of(four);
        assertNotSame(a, b, "another revision right after is not answered with the last one's bytes");
        assertEquals("4", b.version.values());
        assertSame(a, answers.of(revision("db-01", 3, document(), T0)), "an equal revision object: the shared answer");
        assertSame(b, answers.of(four));
    }
}
