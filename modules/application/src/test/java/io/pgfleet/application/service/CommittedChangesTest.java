package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.domain.collector.CollectorId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.application.service.EffectiveStore.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A change committed through this instance, before (or without) the database's announcement. */
class CommittedChangesTest {

    private static final CollectorId ID = EffectiveStore.ID;

    /** The stored effective revisions: what the transaction committed. */
    private final EffectiveStore db = new EffectiveStore();
    private final EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
    private final InMemoryConfigStore collectors = new InMemoryConfigStore().with(Given.collector("db-01"));
    private final EffectiveConfigService reads = new EffectiveConfigService(collectors, collectors, cache);
    private final WatchService watch = new WatchService(reads);

    @Test
    void aWatcherHereIsAnsweredWithoutTheDatabasesAnnouncement() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> waiting = pool.submit(() -> watch.awaitNewer(ID, 1, Duration.ofMinutes(5)));
            db.latest = revision(2);
            // The commit's consequence on this instance; the change feed stays silent in this test.
            new CommittedChanges(cache, watch).accept(new LayerComposer.Save(revision(2), true));
            assertEquals(2, ((ConfigLookup.Found) waiting.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
    }

    @Test
    void readsOfOneUnchangedRevisionShareOneAnswer() {
        ConfigLookup first = reads.latest(ID);
        assertSame(first, reads.latest(ID), "nothing made again for the second reader of the same revision");
        new CommittedChanges(cache, watch).accept(new LayerComposer.Save(revision(2), true));
        ConfigLookup second = reads.latest(ID);
        assertNotSame(first, second);
        assertEquals(2, ((ConfigLookup.Found) second).revision().version().value());
    }
}
