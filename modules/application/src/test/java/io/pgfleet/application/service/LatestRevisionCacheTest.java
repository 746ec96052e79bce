package io.pgfleet.application.service;

import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LatestRevisionCacheTest {

    private static final CollectorId ID = CollectorId.of("db-01");

    /** The database, in memory: the latest revision and a count of reads. */
    private static final class FakeStore implements LoadConfigRevisionPort, AppendConfigRevisionPort {
        ConfigRevision latest = revision(1);
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public Optional<ConfigRevision> loadLatest(CollectorId collectorId) {
            reads.incrementAndGet();
            return Optional.of(latest);
        }

        @Override
        public Optional<ConfigRevision> loadVersion(CollectorId collectorId, ConfigVersion version) {
            return Optional.empty();
        }

        @Override
        public PublishResult append(CollectorId collectorId, Function<Optional<ConfigRevision>, PublishResult> decision,
                                    Function<ConfigRevision, AuditEntry> audit) {
            PublishResult r = decision.apply(Optional.of(latest));
            if (r instanceof PublishResult.Published p) {
                latest = p.revision();
            }
            return r;
        }
    }

    private static ConfigRevision revision(int v) {
        String text = "a = " + v;
        return new ConfigRevision(ID, new ConfigVersion(v), new ConfigDocument(text), ContentHash.of(text),
                Instant.EPOCH, "alice", "", new RevisionSource.Put());
    }

    @Test
    void anUnchangedConfigurationIsReadOnce() {
        FakeStore db = new FakeStore();
        LatestRevisionCache cache = new LatestRevisionCache(db, db);
        cache.loadLatest(ID);
        cache.loadLatest(ID);
        assertEquals(1, db.reads.get());
    }

    @Test
    void anAnnouncedNewerVersionIsNeverAnsweredFromTheOldEntry() {
        FakeStore db = new FakeStore();
        LatestRevisionCache cache = new LatestRevisionCache(db, db);
        cache.loadLatest(ID);
        db.latest = revision(2);
        cache.published(ID, 2);
        assertEquals(2, cache.loadLatest(ID).orElseThrow().version().value());
        assertEquals(2, db.reads.get());
    }

    @Test
    void anOlderAnnouncementArrivingLateChangesNothing() {
        FakeStore db = new FakeStore();
        db.latest = revision(3);
        LatestRevisionCache cache = new LatestRevisionCache(db, db);
        cache.loadLatest(ID);
        cache.published(ID, 2);
        assertEquals(3, cache.loadLatest(ID).orElseThrow().version().value());
        assertEquals(1, db.reads.get());
    }

    @Test
    void aResyncForgetsEverything() {
        FakeStore db = new FakeStore();
        LatestRevisionCache cache = new LatestRevisionCache(db, db);
        cache.loadLatest(ID);
        cache.resync();
        cache.loadLatest(ID);
        assertEquals(2, db.reads.get());
    }

    @Test
    void aPublishThroughThisInstanceIsReadBackAtOnce() {
        FakeStore db = new FakeStore();
        LatestRevisionCache cache = new LatestRevisionCache(db, db);
        cache.loadLatest(ID);
        cache.append(ID, latest -> new PublishResult.Published(revision(2)), r -> null);
        assertEquals(2, cache.loadLatest(ID).orElseThrow().version().value());
        assertEquals(1, db.reads.get(), "served from the entry the publish left");
    }
}
