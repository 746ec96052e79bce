package io.pgfleet.domain.layer;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What a layer change keeps of a collector's own layer. */
class OwnLayerTest {

    private static final ConfigDocument DOC = new ConfigDocument("[collector]\npush_interval = 15\n");

    @Test
    void aStoredDocumentWhoseHashDoesNotMatchIsRefused() {
        ConfigDocument other = new ConfigDocument("[collector]\npush_interval = 30\n");
        assertThrows(IllegalArgumentException.class, () -> new OwnLayer(new ConfigVersion(2), DOC, other.hash()));
    }

    @Test
    void aMemberGivenANewOwnRevisionMergesItsVersionAndDocument() {
        CollectorId id = CollectorId.of("db-01");
        ConfigRevision revision = new ConfigRevision(id, new ConfigVersion(3), DOC, DOC.hash(), Instant.EPOCH, "alice",
                "", new RevisionSource.Put());
        LayerMember member = new LayerMember(id, Map.of(), Optional.empty(), Optional.empty()).withOwn(revision);
        assertEquals(Optional.of(new OwnLayer(new ConfigVersion(3), DOC, DOC.hash())), member.own());
    }
}
