package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Long-poll semantics: at once when newer, woken by an announcement, the current answer on time-out. */
class WatchServiceTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");
    private static final Duration LONG = Duration.ofMinutes(5);

    private final InMemoryConfigStore store = new InMemoryConfigStore().with(Given.collector("db-01"));
    private final PublishConfigService publish = new PublishConfigService(store, new DocumentValidator(new LineParser()),
            Clock.fixed(Given.T0, ZoneOffset.UTC));
    private final WatchService watch = new WatchService(new GetConfigService(store, store));

    private int publish(int interval) {
        PublishResult r = publish.publish(new PublishConfigCommand(DB1, Given.document(interval), new Precondition.None(),
                Given.alice(), ""));
        return ((PublishResult.Published) r).revision().version().value();
    }

    @Test
    void answersAtOnceWhenANewerVersionExists() throws Exception {
        publish(10);
        ConfigLookup r = watch.awaitNewer(DB1, 0, LONG);
        assertEquals(1, ((ConfigLookup.Found) r).revision().version().value());
    }

    @Test
    void answersAnUnknownCollectorAtOnce() throws Exception {
        assertInstanceOf(ConfigLookup.CollectorNotFound.class, watch.awaitNewer(CollectorId.of("nobody"), 0, LONG));
    }

    @Test
    void aWatcherWithoutConfigurationIsWokenByTheFirstPublish() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> waiting = pool.submit(() -> watch.awaitNewer(DB1, 0, LONG));
            int version = publish(10);
            watch.published(DB1, new ConfigVersion(version));
            assertEquals(1, ((ConfigLookup.Found) waiting.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
    }

    @Test
    void anAnnouncementForAnotherCollectorDoesNotAnswer() throws Exception {
        publish(10);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> waiting = pool.submit(() -> watch.awaitNewer(DB1, 1, LONG));
            watch.published(CollectorId.of("db-99"), new ConfigVersion(5));
            // A spurious wake-up on this collector re-reads, finds nothing newer and keeps waiting.
            watch.published(DB1, ConfigVersion.first());
            assertFalse(waiting.isDone());
            int v2 = publish(20);
            watch.resync();
            assertEquals(v2, ((ConfigLookup.Found) waiting.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
    }

    @Test
    void oneAnnouncementAnswersEveryWatcherAndNothingStaysRegistered() throws Exception {
        publish(10);
        int watchers = 500;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.List<Future<ConfigLookup>> waiting = new java.util.ArrayList<>();
            for (int i = 0; i < watchers; i++) {
                waiting.add(pool.submit(() -> watch.awaitNewer(DB1, 1, LONG)));
            }
            awaitRegistered(watchers);
            int v2 = publish(20);
            watch.published(DB1, new ConfigVersion(v2));
            for (Future<ConfigLookup> w : waiting) {
                assertEquals(v2, ((ConfigLookup.Found) w.get(1, TimeUnit.MINUTES)).revision().version().value());
            }
        }
        // Woken watchers leave without re-registering; the last one removes the collector's entry.
        assertEquals(0, watch.watchedCollectors());
    }

    @Test
    void aWatcherArrivingWhileTheOthersLeaveIsStillWokenByTheNextChange() throws Exception {
        int version = publish(10);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int round = 0; round < 200; round++) {
                int after = version;
                java.util.List<Future<ConfigLookup>> waiting = new java.util.ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    waiting.add(pool.submit(() -> watch.awaitNewer(DB1, after, LONG)));
                }
                awaitRegistered(4);
                version = publish(11 + round);
                // The next round's watchers register while this round's are still leaving.
                watch.published(DB1, new ConfigVersion(version));
                for (Future<ConfigLookup> w : waiting) {
                    assertEquals(version, ((ConfigLookup.Found) w.get(1, TimeUnit.MINUTES)).revision().version().value());
                }
            }
        }
    }

    /** Waits until the watchers registered (each registers before its first read and waits right after). */
    private void awaitRegistered(int watchers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (registered() < watchers && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(watchers, registered());
    }

    private int registered() {
        return watch.registeredWatchers(DB1);
    }

    @Test
    void anEndedHoldAnswersAtOnceWithTheCurrentStateAndOnlyThatWatch() throws Exception {
        publish(10);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            WatchHold oldest = new WatchHold();
            Future<ConfigLookup> ended = pool.submit(() -> watch.awaitNewer(DB1, 1, LONG, oldest));
            Future<ConfigLookup> other = pool.submit(() -> watch.awaitNewer(DB1, 1, LONG, new WatchHold()));
            awaitRegistered(2);
            oldest.end();
            assertEquals(1, ((ConfigLookup.Found) ended.get(1, TimeUnit.MINUTES)).revision().version().value(),
                    "answered with the current version, as at its deadline");
            awaitRegistered(1);
            assertFalse(other.isDone(), "the other watch is still held");
            int v2 = publish(20);
            watch.published(DB1, new ConfigVersion(v2));
            assertEquals(v2, ((ConfigLookup.Found) other.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
    }

    @Test
    void aHoldsFirstWaitRunsOnlyWhenTheWatchWaits() throws Exception {
        publish(10);
        java.util.concurrent.atomic.AtomicInteger waits = new java.util.concurrent.atomic.AtomicInteger();
        watch.awaitNewer(DB1, 0, LONG, new WatchHold(waits::incrementAndGet));
        assertEquals(0, waits.get(), "answered at once: it never waited");
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> held = pool.submit(() -> watch.awaitNewer(DB1, 1, LONG, new WatchHold(waits::incrementAndGet)));
            awaitRegistered(1);
            watch.published(DB1, ConfigVersion.first()); // spurious: it waits again, the first wait ran once
            int v2 = publish(20);
            watch.published(DB1, new ConfigVersion(v2));
            assertEquals(v2, ((ConfigLookup.Found) held.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
        assertEquals(1, waits.get());
    }

    @Test
    void aHoldEndedBeforeTheWatchStartsAnswersAtOnce() throws Exception {
        publish(10);
        WatchHold hold = new WatchHold();
        hold.end();
        assertEquals(1, ((ConfigLookup.Found) watch.awaitNewer(DB1, 1, LONG, hold)).revision().version().value());
        assertEquals(0, watch.watchedCollectors());
    }

    @Test
    void answersTheCurrentStateWhenTheWaitEnds() throws Exception {
        assertInstanceOf(ConfigLookup.NoConfiguration.class, watch.awaitNewer(DB1, 0, Duration.ZERO));
        publish(10);
        ConfigLookup r = watch.awaitNewer(DB1, 1, Duration.ZERO);
        assertEquals(1, ((ConfigLookup.Found) r).revision().version().value());
    }

    @Test
    void aHeldWatchParksWithoutATimeOfItsOwn() throws Exception {
        publish(10);
        java.util.concurrent.atomic.AtomicReference<ConfigLookup> answer = new java.util.concurrent.atomic.AtomicReference<>();
        Thread watcher = Thread.ofVirtual().start(() -> {
            try {
                answer.set(watch.awaitNewer(DB1, 1, LONG));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        awaitRegistered(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (watcher.getState() != Thread.State.WAITING && watcher.getState() != Thread.State.TIMED_WAITING
                && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        // A timed park would schedule (and, when woken, cancel) a timer task per watch; the deadline is the sweeper's.
        assertEquals(Thread.State.WAITING, watcher.getState());
        int v2 = publish(20);
        watch.published(DB1, new ConfigVersion(v2));
        watcher.join(TimeUnit.MINUTES.toMillis(1));
        assertEquals(v2, ((ConfigLookup.Found) answer.get()).revision().version().value());
    }

    @Test
    void heldWatchesEndAtTheirDeadlineNeverBeforeWithTheCurrentAnswer() throws Exception {
        publish(10);
        WatchDeadlines deadlines = new WatchDeadlines();
        WatchService timed = new WatchService(new GetConfigService(store, store), deadlines);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.List<Future<Long>> held = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Duration wait = Duration.ofMillis(i % 120);
                held.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    ConfigLookup r = timed.awaitNewer(DB1, 1, wait);
                    assertEquals(1, ((ConfigLookup.Found) r).revision().version().value());
                    return System.nanoTime() - start - wait.toNanos();
                }));
            }
            for (Future<Long> h : held) {
                long early = -h.get(1, TimeUnit.MINUTES);
                assertFalse(early > 0, "a watch ended " + early + " ns before its deadline");
            }
        }
        assertEquals(0, deadlines.filed());
        assertEquals(0, timed.watchedCollectors());
    }

    @Test
    void aHoldEndingWhileAnnouncementsArriveAnswersWhatItReadWithoutReadingAgain() throws Exception {
        // Nothing published: memory holds nothing for the collector, so each read is the database's.
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        GetConfigService database = new GetConfigService(store, store);
        WatchService counted = new WatchService((id, seen) -> {
            reads.incrementAndGet();
            return database.latest(id);
        }, new WatchDeadlines());
        assertInstanceOf(ConfigLookup.NoConfiguration.class, counted.awaitNewer(DB1, 0, Duration.ofMillis(20)));
        assertEquals(1, reads.get(), "a change would have woken it: the read at its start is the answer");
    }

    @Test
    void aHoldEndingAfterAnnouncementsStoppedReadsAgainAndAnswersTheChangeItWasNotWokenFor() throws Exception {
        GetConfigService database = new GetConfigService(store, store);
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        WatchService counted = new WatchService((id, seen) -> {
            reads.incrementAndGet();
            return database.latest(id);
        }, new WatchDeadlines());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> held = pool.submit(() -> counted.awaitNewer(DB1, 0, Duration.ofMillis(500)));
            while (reads.get() == 0) {
                Thread.sleep(1); // until the watch read its start
            }
            // The feed's connection lost, then back, during the hold: resync woke it, or (had it
            // come back after the deadline) it reads again at its end. Another instance's publish,
            // unannounced here, is answered either way.
            counted.interrupted();
            publish(10);
            assertEquals(1, ((ConfigLookup.Found) held.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
        reads.set(0);
        // Still interrupted: a hold that ends reads again.
        assertEquals(1, ((ConfigLookup.Found) counted.awaitNewer(DB1, 1, Duration.ofMillis(20))).revision().version()
                .value());
        assertEquals(2, reads.get());
        counted.resync();
        reads.set(0);
        counted.awaitNewer(DB1, 1, Duration.ofMillis(20));
        assertEquals(1, reads.get(), "announcements arrive again: no second read");
    }
}
