package io.pgfleet.application.service;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.application.service.EffectiveStore.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The effective-revision cache in front of the store. */
class EffectiveRevisionCacheTest {

    private static final CollectorId ID = EffectiveStore.ID;

    @Test
    void anUnchangedConfigurationIsReadOnce() {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.load(ID);
        assertEquals(1, db.reads.get());
    }

    @Test
    void anAnnouncedNewerRevisionIsNeverAnsweredFromTheOldEntry() {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        db.latest = revision(2);
        cache.published(ID, new ConfigVersion(2));
        assertEquals(2, cache.load(ID).orElseThrow().revision().value());
        assertEquals(2, db.reads.get());
    }

    @Test
    void anOlderAnnouncementArrivingLateChangesNothing() {
        EffectiveStore db = new EffectiveStore();
        db.latest = revision(3);
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.published(ID, new ConfigVersion(2));
        assertEquals(3, cache.load(ID).orElseThrow().revision().value());
        assertEquals(1, db.reads.get());
    }

    @Test
    void aResyncForgetsEverything() {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.resync();
        cache.load(ID);
        assertEquals(2, db.reads.get());
    }

    @Test
    void whileAnnouncementsAreInterruptedEveryReadGoesToTheStoreUntilTheResync() {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.interrupted();
        db.latest = revision(2); // published on another instance, unheard
        assertEquals(2, cache.load(ID).orElseThrow().revision().value());
        assertEquals(2, cache.loadAtLeast(ID, 1).orElseThrow().revision().value());
        cache.load(ID);
        assertEquals(4, db.reads.get(), "nothing read while unheard is served from memory");
        cache.resync();
        cache.load(ID);
        cache.load(ID);
        assertEquals(5, db.reads.get(), "heard again: memory serves once more");
    }

    @Test
    void aChangeThroughThisInstanceIsReadBackAtOnce() {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.stored(revision(2));
        assertEquals(2, cache.load(ID).orElseThrow().revision().value());
        assertEquals(1, db.reads.get(), "served from the entry the change left");
    }

    @Test
    void newSourcesUnderTheSameRevisionReplaceTheEntry() {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        EffectiveRevision one = revision(1);
        cache.stored(new EffectiveRevision(ID, one.revision(), one.document(), one.hash(), "", List.of("fleet@1", "collector@1"),
                one.createdAt(), 300));
        assertEquals(List.of("fleet@1", "collector@1"), cache.load(ID).orElseThrow().sources());
    }

    @Test
    void aReaderWhoMissesACommittingChangesCollectorGetsItsRevisionOnceCommitted() throws Exception {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        EffectiveRevisionCache.Expected change = cache.expect(List.of(revision(2)));
        db.latest = revision(2);
        // The commit's announcement arrives before the change has handed its revision over.
        cache.published(ID, new ConfigVersion(2));
        Reader woken = new Reader(cache);
        woken.awaitBlocked();
        change.committed();
        assertEquals(2, woken.revision());
        change.close();
        assertEquals(1, db.reads.get(), "no database read for the woken reader");
    }

    @Test
    void aReaderWhoMissesAChangeThatDidNotCommitReadsTheDatabase() throws Exception {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        // This instance's change would store revision 2 with its document; another instance's change
        // commits revision 2 first and announces it, and this one then fails.
        ConfigDocument mine = new ConfigDocument("a = mine");
        EffectiveRevisionCache.Expected change = cache.expect(List.of(new EffectiveRevision(ID, new ConfigVersion(2),
                mine, mine.hash(), "", List.of("fleet@2"), java.time.Instant.EPOCH, 300)));
        db.latest = revision(2);
        cache.published(ID, new ConfigVersion(2));
        Reader woken = new Reader(cache);
        woken.awaitBlocked();
        change.close();
        assertEquals("a = 2", woken.document(), "never the revision of a change that did not commit");
        assertEquals(2, db.reads.get());
    }

    @Test
    void aReaderWhoKnowsOnlyAnOlderRevisionDoesNotWaitForACommittingChange() throws Exception {
        EffectiveStore db = new EffectiveStore();
        EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
        cache.load(ID);
        cache.forget(ID);
        try (EffectiveRevisionCache.Expected change = cache.expect(List.of(revision(2)))) {
            // Neither committed nor announced: the committed revision 1 is the answer, at once.
            Reader reader = new Reader(cache);
            reader.awaitBlocked();
            assertTrue(reader.answered(), "answered without waiting for the change");
            assertEquals(1, reader.revision());
        }
        assertEquals(2, db.reads.get());
    }

    @Test
    void readersWhoMissTogetherShareOneRead() throws Exception {
        EffectiveStore db = new EffectiveStore();
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
        EffectiveStore db = new EffectiveStore();
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
        private final java.util.concurrent.CompletableFuture<EffectiveRevision> result = new java.util.concurrent.CompletableFuture<>();
        private final Thread thread;

        Reader(EffectiveRevisionCache cache) {
            thread = Thread.ofVirtual().start(() -> {
                try {
                    result.complete(cache.load(ID).orElseThrow());
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        }

        void awaitBlocked() {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING
                    && !result.isDone() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }

        int revision() throws Exception {
            return result.get(1, TimeUnit.MINUTES).revision().value();
        }

        boolean answered() {
            return result.isDone();
        }

        String document() throws Exception {
            return result.get(1, TimeUnit.MINUTES).document().text();
        }
    }
}
