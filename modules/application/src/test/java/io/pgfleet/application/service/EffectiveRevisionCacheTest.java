package io.pgfleet.application.service;

import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerRevision;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EffectiveRevisionCacheTest {

    private static final CollectorId ID = CollectorId.of("db-01");

    /** The database, in memory: the effective revision and a count of reads. */
    private static final class FakeStore implements LoadLayersPort {
        EffectiveRevision latest = revision(1);
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public Optional<EffectiveRevision> loadEffective(CollectorId id) {
            reads.incrementAndGet();
            return Optional.of(latest);
        }

        @Override
        public Optional<LayerRevision> loadLatestLayer(LayerId layer) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<LayerRevision> loadLayerVersion(LayerId layer, ConfigVersion version) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<LayerRevision> loadLayerHistory(LayerId layer, int beforeVersion, int limit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Group> loadGroups() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Group> loadGroup(GroupId id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<CollectorId> loadMembers(LabelSelector selector, String after, int limit) {
            throw new UnsupportedOperationException();
        }
    }

    private static EffectiveRevision revision(int v) {
        ConfigDocument doc = new ConfigDocument("a = " + v);
        return new EffectiveRevision(ID, new ConfigVersion(v), doc, doc.hash(), "", List.of("collector@" + v),
                Instant.EPOCH, 300);
    }

    @Test
    void anUnchangedConfigurationIsReadOnce() {
        FakeStore db = new FakeStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.load(ID);
        assertEquals(1, db.reads.get());
    }

    @Test
    void anAnnouncedNewerRevisionIsNeverAnsweredFromTheOldEntry() {
        FakeStore db = new FakeStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        db.latest = revision(2);
        cache.published(ID, new ConfigVersion(2));
        assertEquals(2, cache.load(ID).orElseThrow().revision().value());
        assertEquals(2, db.reads.get());
    }

    @Test
    void anOlderAnnouncementArrivingLateChangesNothing() {
        FakeStore db = new FakeStore();
        db.latest = revision(3);
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.published(ID, new ConfigVersion(2));
        assertEquals(3, cache.load(ID).orElseThrow().revision().value());
        assertEquals(1, db.reads.get());
    }

    @Test
    void aResyncForgetsEverything() {
        FakeStore db = new FakeStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.resync();
        cache.load(ID);
        assertEquals(2, db.reads.get());
    }

    @Test
    void aChangeThroughThisInstanceIsReadBackAtOnce() {
        FakeStore db = new FakeStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.stored(revision(2));
        assertEquals(2, cache.load(ID).orElseThrow().revision().value());
        assertEquals(1, db.reads.get(), "served from the entry the change left");
    }

    @Test
    void newSourcesUnderTheSameRevisionReplaceTheEntry() {
        FakeStore db = new FakeStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        EffectiveRevision one = revision(1);
        cache.stored(new EffectiveRevision(ID, one.revision(), one.document(), one.hash(), "", List.of("fleet@1", "collector@1"),
                one.createdAt(), 300));
        assertEquals(List.of("fleet@1", "collector@1"), cache.load(ID).orElseThrow().sources());
    }
}
