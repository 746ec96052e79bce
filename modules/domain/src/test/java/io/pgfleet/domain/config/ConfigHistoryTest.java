package io.pgfleet.domain.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static io.pgfleet.domain.config.PublishRequestBuilder.aPublish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigHistoryTest {

    private static ConfigRevision published(Optional<ConfigRevision> latest, PublishRequest request) {
        return assertInstanceOf(PublishResult.Published.class, ConfigHistory.decide(latest, request)).revision();
    }

    @Test
    void firstPublishIsVersionOne() {
        ConfigRevision r = published(Optional.empty(), aPublish().build());
        assertEquals(1, r.version().value());
        assertEquals("alice", r.createdBy());
        assertEquals("put", r.source().label());
    }

    @Test
    void nextPublishTakesTheFollowingVersion() {
        ConfigRevision v1 = published(Optional.empty(), aPublish().withDocument("a = 1").build());
        ConfigRevision v2 = published(Optional.of(v1), aPublish().withDocument("a = 2").build());
        assertEquals(2, v2.version().value());
    }

    @Test
    void identicalDocumentIsUnchanged() {
        ConfigRevision v1 = published(Optional.empty(), aPublish().withDocument("a = 1").build());
        PublishResult again = ConfigHistory.decide(Optional.of(v1), aPublish().withDocument("a = 1").build());
        assertEquals(v1, assertInstanceOf(PublishResult.Unchanged.class, again).latest());
    }

    @Test
    void staleIfMatchIsAConflictEvenForTheSameDocument() {
        ConfigRevision v1 = published(Optional.empty(), aPublish().withDocument("a = 1").build());
        ConfigRevision v2 = published(Optional.of(v1), aPublish().withDocument("a = 2").build());
        PublishResult stale = ConfigHistory.decide(Optional.of(v2), aPublish().withDocument("a = 3")
                .expecting(new Precondition.MatchesOneOf(List.of(v1.entityTag()))).build());
        assertEquals(Optional.of(v2), assertInstanceOf(PublishResult.VersionConflict.class, stale).current());
    }

    @Test
    void currentIfMatchPublishes() {
        ConfigRevision v1 = published(Optional.empty(), aPublish().withDocument("a = 1").build());
        ConfigRevision v2 = published(Optional.of(v1), aPublish().withDocument("a = 2")
                .expecting(new Precondition.MatchesOneOf(List.of(v1.entityTag()))).build());
        assertEquals(2, v2.version().value());
    }

    @Test
    void ifMatchAnyRequiresAnExistingConfiguration() {
        PublishResult none = ConfigHistory.decide(Optional.empty(),
                aPublish().expecting(new Precondition.AnyExisting()).build());
        assertInstanceOf(PublishResult.VersionConflict.class, none);
    }

    @Test
    void rollbackIsRecordedAsItsSource() {
        ConfigRevision v1 = published(Optional.empty(), aPublish().withDocument("a = 1").build());
        ConfigRevision v2 = published(Optional.of(v1), aPublish().withDocument("a = 2").build());
        ConfigRevision v3 = published(Optional.of(v2), aPublish().withDocument("a = 1")
                .from(new RevisionSource.Rollback(v1.version())).build());
        assertEquals("rollback:1", v3.source().label());
        assertEquals(RevisionSource.parse("rollback:1"), v3.source());
    }

    @Test
    void refusesTheLatestRevisionOfAnotherCollector() {
        ConfigRevision other = published(Optional.empty(), aPublish().forCollector("db-02").build());
        assertThrows(IllegalArgumentException.class,
                () -> ConfigHistory.decide(Optional.of(other), aPublish().forCollector("db-01").build()));
    }

    @Test
    void entityTagDependsOnVersionAndContent() {
        ConfigRevision v1 = published(Optional.empty(), aPublish().withDocument("a = 1").build());
        ConfigRevision v2 = published(Optional.of(v1), aPublish().withDocument("a = 2").build());
        assertEquals("1-" + ContentHash.of("a = 1").hex().substring(0, 16), v1.entityTag().value());
        assertEquals('"' + v2.entityTag().value() + '"', v2.entityTag().quoted());
    }

    @Test
    void rejectsEmptyAndOversizedDocuments() {
        assertThrows(IllegalArgumentException.class, () -> new ConfigDocument("  \n"));
        assertThrows(IllegalArgumentException.class, () -> new ConfigDocument("x".repeat(ConfigDocument.MAX_BYTES + 1)));
        assertEquals(ConfigDocument.MAX_BYTES, new ConfigDocument("x".repeat(ConfigDocument.MAX_BYTES)).text().length());
    }

    @Test
    void versionsStartAtOne() {
        assertThrows(IllegalArgumentException.class, () -> new ConfigVersion(0));
        assertThrows(IllegalArgumentException.class, () -> ConfigVersion.parse("abc"));
        assertEquals(new ConfigVersion(4), ConfigVersion.parse("3").next());
    }
}
