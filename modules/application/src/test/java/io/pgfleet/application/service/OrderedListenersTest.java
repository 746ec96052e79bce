package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.application.service.EffectiveStore.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The listeners behind one subscription (the in-memory view of effective revisions, then the
 * watchers): one's failure keeps no other from hearing an announcement or from being told that
 * announcements stopped, and is thrown once all heard it, so that the feed handles the group as
 * failed. The view and the watchers each keep their own "announcements arrive" flag; with the real
 * ones, a failure of the view on an announcement or when told that announcements stopped leaves
 * neither answering what is no longer current.
 */
class OrderedListenersTest {

    private static final CollectorId ID = EffectiveStore.ID;
    private static final Duration LONG = Duration.ofMinutes(5);

    /** Says what it is told in a shared list, and fails where told to. */
    private static final class Recorded implements ConfigChangeFeedPort.Listener {
        private final String name;
        private final List<String> told;
        boolean failOnAnnouncements;
        boolean failOnInterrupted;
        boolean failOnResync;

        Recorded(String name, List<String> told) {
            this.name = name;
            this.told = told;
        }

        private void heard(String what, boolean fail) {
            if (fail) {
                throw new IllegalStateException(name + " failed on " + what);
            }
            told.add(name + " " + what);
        }

        @Override
        public void published(CollectorId collectorId, ConfigVersion version) {
            heard("published " + version.value(), failOnAnnouncements);
        }

        @Override
        public void ownVersionPublished(CollectorId collectorId, ConfigVersion version) {
            heard("own " + version.value(), failOnAnnouncements);
        }

        @Override
        public void sourcesChanged(CollectorId collectorId, ConfigVersion revision) {
            heard("sources " + revision.value(), failOnAnnouncements);
        }

        @Override
        public void principalChanged(String subject) {
            heard("principal " + subject, failOnAnnouncements);
        }

        @Override
        public void sessionEnded(String subject, String session) {
            heard("session " + session, failOnAnnouncements);
        }

        @Override
        public void interrupted() {
            // Said even when it fails: it was told.
            told.add(name + " interrupted");
            if (failOnInterrupted) {
                throw new IllegalStateException(name + " failed when told that announcements stopped");
            }
        }

        @Override
        public void resync() {
            heard("resync", failOnResync);
        }
    }

    private final List<String> told = new CopyOnWriteArrayList<>();
    private final Recorded first = new Recorded("first", told);
    private final Recorded second = new Recorded("second", told);
    private final OrderedListeners group = new OrderedListeners(List.of(first, second));

    @Test
    void everyKindOfAnnouncementReachesEveryListenerInOrder() {
        group.published(ID, new ConfigVersion(2));
        group.ownVersionPublished(ID, new ConfigVersion(3));
        group.sourcesChanged(ID, new ConfigVersion(2));
        group.principalChanged("alice");
        group.sessionEnded("alice", "s-1");
        assertEquals(List.of("first published 2", "second published 2", "first own 3", "second own 3",
                "first sources 2", "second sources 2", "first principal alice", "second principal alice",
                "first session s-1", "second session s-1"), told);
    }

    @Test
    void aListenerThatFailsOnAnAnnouncementIsInterruptedAndTheNextStillHearsItThenTheFailureIsThrown() {
        first.failOnAnnouncements = true;
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> group.published(ID, new ConfigVersion(2)));
        assertEquals("first failed on published 2", failure.getMessage(), "the feed learns of it");
        assertEquals(List.of("first interrupted", "second published 2"), told,
                "the failed one stops trusting its memory before the next one (the watchers) reads it");

        told.clear();
        assertThrows(IllegalStateException.class, () -> group.principalChanged("alice"));
        assertThrows(IllegalStateException.class, () -> group.sessionEnded("alice", "s-1"));
        assertEquals(List.of("first interrupted", "second principal alice", "first interrupted", "second session s-1"),
                told);
    }

    @Test
    void failuresOfSeveralListenersAreThrownAsTheFirstWithTheOthersSuppressed() {
        first.failOnAnnouncements = true;
        second.failOnAnnouncements = true;
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> group.published(ID, new ConfigVersion(2)));
        assertEquals("first failed on published 2", failure.getMessage());
        assertEquals("second failed on published 2", failure.getSuppressed()[0].getMessage());
    }

    @Test
    void everyListenerIsToldThatAnnouncementsStoppedWhicheverFailsAtIt() {
        first.failOnInterrupted = true;
        assertThrows(IllegalStateException.class, group::interrupted);
        assertEquals(List.of("first interrupted", "second interrupted"), told);
    }

    @Test
    void aResyncStopsAtTheFirstFailureWhichIsThrownForTheFeedToInterruptTheGroup() {
        first.failOnResync = true;
        assertThrows(IllegalStateException.class, group::resync);
        assertEquals(List.of(), told, "the next ones stay interrupted: resyncing the watchers would wake them for nothing");

        first.failOnResync = false;
        second.failOnResync = true;
        assertThrows(IllegalStateException.class, group::resync);
        assertEquals(List.of("first resync"), told);
    }

    @Test
    void anErrorIsThrownAsItIs() {
        StackOverflowError error = new StackOverflowError("deep");
        OrderedListeners withError = new OrderedListeners(List.of(new ConfigChangeFeedPort.Listener() {
            @Override
            public void published(CollectorId collectorId, ConfigVersion version) {
                throw error;
            }

            @Override
            public void resync() {
            }
        }, second));
        assertSame(error, assertThrows(StackOverflowError.class, () -> withError.published(ID, new ConfigVersion(2))));
        assertEquals(List.of("second published 2"), told);
    }

    /** The real view and watchers, as the server subscribes them, over a store another instance also writes. */
    private final EffectiveStore db = new EffectiveStore();
    private final EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
    private final InMemoryConfigStore collectors = new InMemoryConfigStore().with(Given.collector("db-01"));
    private final EffectiveConfigService reads = new EffectiveConfigService(collectors, collectors, cache);
    private final WatchService watch = new WatchService(reads);

    /** The view, failing where told to, around the real one. */
    private final class FailingCache implements ConfigChangeFeedPort.Listener {
        boolean failBeforePublished;
        boolean failAfterInterrupted;

        @Override
        public void published(CollectorId collectorId, ConfigVersion version) {
            if (failBeforePublished) {
                throw new IllegalStateException("the view's bug, before it heard the announcement");
            }
            cache.published(collectorId, version);
        }

        @Override
        public void interrupted() {
            cache.interrupted();
            if (failAfterInterrupted) {
                throw new IllegalStateException("the view's bug, after it stopped trusting its memory");
            }
        }

        @Override
        public void resync() {
            cache.resync();
        }
    }

    private static int version(ConfigLookup lookup) {
        return ((ConfigLookup.Found) lookup).revision().version().value();
    }

    private void awaitRegistered() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (watch.registeredWatchers(ID) < 1 && System.nanoTime() < deadline) {
            Thread.sleep(1); // polling a condition with a deadline
        }
        assertEquals(1, watch.registeredWatchers(ID));
    }

    /**
     * The view failed on the announcement of revision 2, before it heard it: its entry for revision 1
     * stayed. The watchers still hear it, and read revision 2, not the view's revision 1.
     */
    @Test
    void aViewThatFailsOnAnAnnouncementKeepsNoWatcherFromHearingItNorServesItWhatItMissed() throws Exception {
        FailingCache failing = new FailingCache();
        OrderedListeners subscribed = new OrderedListeners(List.of(failing, watch));
        assertEquals(1, version(reads.latest(ID)), "revision 1 in memory");
        WatchHold hold = new WatchHold();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            try {
                Future<ConfigLookup> held = pool.submit(() -> watch.awaitNewer(ID, 1, LONG, hold));
                awaitRegistered();
                db.latest = revision(2); // committed on another instance
                failing.failBeforePublished = true;
                assertThrows(IllegalStateException.class, () -> subscribed.published(ID, new ConfigVersion(2)));
                assertEquals(2, version(held.get(1, TimeUnit.MINUTES)), "woken, and answered from the database");
            } finally {
                hold.end(); // should it still be held, the pool's close does not wait for its deadline
            }
        }
        assertEquals(2, version(reads.latest(ID)), "nor is a plain read answered from the view's memory");
    }

    /**
     * The view failed when told that announcements stopped (after it stopped trusting its memory): the
     * watchers are told too, so a held watch that ends without a wake-up reads again instead of
     * answering what it read at its start while a change elsewhere went unheard.
     */
    @Test
    void aViewThatFailsWhenToldThatAnnouncementsStoppedLeavesTheWatchersToldToo() throws Exception {
        FailingCache failing = new FailingCache();
        failing.failAfterInterrupted = true;
        OrderedListeners subscribed = new OrderedListeners(List.of(failing, watch));
        assertThrows(IllegalStateException.class, subscribed::interrupted);

        CountDownLatch waiting = new CountDownLatch(1);
        WatchHold hold = new WatchHold(waiting::countDown);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> held = pool.submit(() -> watch.awaitNewer(ID, 1, LONG, hold));
            assertTrue(waiting.await(1, TimeUnit.MINUTES), "the watch read revision 1 and waits");
            db.latest = revision(2); // committed on another instance, unheard here
            hold.end();
            assertEquals(2, version(held.get(1, TimeUnit.MINUTES)),
                    "read again at the end of its hold: no announcement would have woken it");
        }
    }
}
