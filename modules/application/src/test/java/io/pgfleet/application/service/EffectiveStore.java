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

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The stored effective revisions of one collector, in memory, for the tests of what stands in front
 * of the store (the cache, the changes committed here): the latest revision, a count of reads, and a
 * latch that makes reads slow so that readers overlap. The other reads are not needed there.
 */
final class EffectiveStore implements LoadLayersPort {

    /** The collector. */
    static final CollectorId ID = CollectorId.of("db-01");

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
    public Optional<java.time.Instant> loadGroupDeletedAt(GroupId id) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<CollectorId> loadMembers(LabelSelector selector, String after, int limit) {
        throw new UnsupportedOperationException();
    }

    /** Revision {@code v} of {@link #ID}'s effective document, {@code a = v}. */
    static EffectiveRevision revision(int v) {
        ConfigDocument doc = new ConfigDocument("a = " + v);
        return new EffectiveRevision(ID, new ConfigVersion(v), doc, doc.hash(), "", List.of("collector@" + v),
                Instant.EPOCH, 300);
    }
}
