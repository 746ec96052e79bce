package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.port.in.ConfigLookup;
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

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A change committed through this instance, before (or without) the database's announcement. */
class CommittedChangesTest {

    private static final CollectorId ID = CollectorId.of("db-01");

    /** The stored effective revisions: what the transaction committed. */
    private static final class Committed implements LoadLayersPort {
        volatile EffectiveRevision latest = revision(1);

        @Override
        public Optional<EffectiveRevision> loadEffective(CollectorId id) {
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

    private final Committed db = new Committed();
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
