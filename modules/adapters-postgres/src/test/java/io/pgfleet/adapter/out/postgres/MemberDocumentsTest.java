package io.pgfleet.adapter.out.postgres;

import io.pgfleet.application.port.out.LayerStorePort.Outcome;
import io.pgfleet.application.port.out.LayerStorePort.OwnPublishTarget;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.OwnLayer;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A layer change's member read against real PostgreSQL: the members come with their documents as
 * stored, each distinct document read from the database once, then from the instance's cache.
 */
class MemberDocumentsTest {

    // With microseconds: the member read carries the effective revision's time exactly.
    private static final Instant AT = Instant.parse("2026-12-01T04:00:00.987654Z");
    private static final Map<String, String> LABELS = Map.of("team", "members");
    private static final ConfigDocument OWN_A = new ConfigDocument("[[collectors]]\nname = \"a\"\n");
    private static final ConfigDocument MERGED_B = new ConfigDocument("[[collectors]]\nname = \"a\"\n# merged\n");
    private static final ConfigDocument OWN_C = new ConfigDocument("[[collectors]]\nname = \"c\"\n");

    private static PostgresStorage storage;
    private static final List<LayerMember> EXPECTED = new ArrayList<>();

    /*
     * 40 members: the first 20 share own document A and effective document B, the others have
     * document C as both (no layer applies): three distinct documents in all.
     */
    @BeforeAll
    static void fleet() {
        TestDatabase db = TestPostgres.newDatabase();
        storage = PostgresStorage.open(new DatabaseSettings(db.url(), db.user(), db.password(), 2));
        for (int i = 0; i < 40; i++) {
            CollectorId id = CollectorId.of("member-%02d".formatted(i));
            storage.collectors().saveNewCollector(new Collector(id, id.value(), "", LABELS, AT, false),
                    new AuditEntry(AT, new Actor("admin", "127.0.0.1"), AuditAction.COLLECTOR_CREATED,
                            new AuditSubject.OfCollector(id), 0, ""));
            ConfigDocument own = i < 20 ? OWN_A : OWN_C;
            ConfigDocument merged = i < 20 ? MERGED_B : OWN_C;
            EffectiveRevision effective = new EffectiveRevision(id, new ConfigVersion(3), merged, merged.hash(), "",
                    i < 20 ? List.of("fleet@2", "own@1") : List.of("own@1"), AT, 0);
            storage.layers().transact(tx -> {
                tx.insertOwn(new ConfigRevision(id, new ConfigVersion(1), own, own.hash(), AT, "admin", "", RevisionSource.parse("put")));
                tx.saveEffective(effective, false);
                return Outcome.commit(true);
            });
            EXPECTED.add(new LayerMember(id, LABELS, Optional.of(new OwnLayer(new ConfigVersion(1), own, own.hash())),
                    Optional.of(effective)));
        }
    }

    @AfterAll
    static void close() {
        storage.close();
    }

    private static List<LayerMember> readMembers(LayerPersistenceAdapter layers) {
        return layers.transact(tx -> Outcome.rollback(tx.readMembers(tx.lockMemberIds(List.of(new LabelSelector(LABELS))))));
    }

    @Test
    void aDocumentSharedByManyMembersIsReadFromTheDatabaseOnceThenFromTheCache() {
        DocumentCache cache = new DocumentCache();
        LayerPersistenceAdapter layers = storage.layers().withDocuments(cache);

        assertEquals(EXPECTED, readMembers(layers));
        assertEquals(3, cache.fetched(), "one fetch per distinct document, whoever and however many have it");

        assertEquals(EXPECTED, readMembers(layers));
        assertEquals(EXPECTED.get(25), layers.transact(tx -> Outcome.rollback(tx.lockMember(EXPECTED.get(25).id())))
                .orElseThrow());
        assertEquals(3, cache.fetched(), "later reads find every document in the cache");
    }

    @Test
    void aCacheSmallerThanTheDocumentsOfARead() {
        DocumentCache cache = new DocumentCache(1, DocumentCache.DEFAULT_MAX_CHARS);
        LayerPersistenceAdapter layers = storage.layers().withDocuments(cache);

        assertEquals(EXPECTED, readMembers(layers));
        assertEquals(1, cache.size(), "the cache keeps its bound");
        assertEquals(EXPECTED, readMembers(layers), "what it evicted is fetched again");
        assertTrue(cache.fetched() > 3 && cache.fetched() <= 6, "each read fetched what it missed: " + cache.fetched());
    }

    @Test
    void aPublishOfOwnLayersReadsItsFewDocumentsWithItsRows() {
        DocumentCache cache = new DocumentCache();
        LayerPersistenceAdapter layers = storage.layers().withDocuments(cache);

        List<OwnPublishTarget> two = layers.transact(tx -> Outcome.rollback(
                tx.lockCollectors(List.of(EXPECTED.get(3).id(), EXPECTED.get(33).id()))));
        assertEquals(List.of(EXPECTED.get(3), EXPECTED.get(33)), two.stream().map(OwnPublishTarget::member).toList());
        assertEquals(OWN_A, two.get(0).ownRevision().orElseThrow().document());
        List<OwnPublishTarget> one = layers.transact(tx -> Outcome.rollback(tx.lockCollectors(List.of(EXPECTED.get(7).id()))));
        assertEquals(EXPECTED.get(7), one.get(0).member());
        assertEquals(0, cache.fetched(), "no statement beside the rows' own");
    }
}
