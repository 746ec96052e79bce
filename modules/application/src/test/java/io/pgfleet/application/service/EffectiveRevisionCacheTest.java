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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EffectiveRevisionCacheTest {

    private static final CollectorId ID = CollectorId.of("db-01");

    /** The database, in memory: the effective revision and a count of reads. */
    private static final class FakeStore implements LoadLayersPort {
        volatile EffectiveRevision latest = revision(1);
        final AtomicInteger reads = new AtomicInteger();
        /** When set, every read waits for it: a slow database, so that readers overlap. */
        volatile CountDownLatch slow = new CountDownLatch(0);
        final CountDownLatch readStarted = new CountDownLatch(1);

        @Override
        public Optional<EffectiveRevision> loadEffective(CollectorId id) {
            reads.incrementAndGet();
            EffectiveRevision answer = latest;
            readStarted.countDown();
            try {
                slow.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return Optional.of(answer);
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

    @Test
    void readersWhoMissTogetherShareOneRead() throws Exception {
        FakeStore db = new FakeStore();
        db.slow = new CountDownLatch(1);
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        Reader first = new Reader(cache);
        assertTrue(db.readStarted.await(1, TimeUnit.MINUTES));
        List<Reader> others = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            others.add(new Reader(cache));
        }
        // Every reader is blocked (on the shared read, or on a read of its own) before the database answers.
        others.forEach(Reader::awaitBlocked);
        db.slow.countDown();
        assertEquals(1, first.revision());
        for (Reader r : others) {
            assertEquals(1, r.revision());
        }
        assertEquals(1, db.reads.get(), "one database read for 51 readers");
    }

    @Test
    void aSharedReadOlderThanAnAnnouncementTheReaderKnowsIsReadAgain() throws Exception {
        FakeStore db = new FakeStore();
        db.slow = new CountDownLatch(1);
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        // A read of revision 1 is under way when revision 2 is committed and announced.
        Reader early = new Reader(cache);
        assertTrue(db.readStarted.await(1, TimeUnit.MINUTES));
        db.latest = revision(2);
        cache.published(ID, new ConfigVersion(2));
        Reader woken = new Reader(cache);
        woken.awaitBlocked();
        db.slow.countDown();
        assertEquals(1, early.revision());
        assertEquals(2, woken.revision(), "a watcher woken for revision 2 never gets revision 1 back");
    }

    /** A reader on its own virtual thread. */
    private static final class Reader {
        private final java.util.concurrent.CompletableFuture<Integer> result = new java.util.concurrent.CompletableFuture<>();
        private final Thread thread;

        Reader(EffectiveRevisionCache cache) {
            thread = Thread.ofVirtual().start(() -> {
                try {
                    result.complete(cache.load(ID).orElseThrow().revision().value());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        }

        void awaitBlocked() {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (thread.getState() != Thread.State.WAITING && !result.isDone() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }

        int revision() throws Exception {
            return result.get(1, TimeUnit.MINUTES);
        }
    }
}
