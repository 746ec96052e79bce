package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory view of each collector's effective revision, kept fresh by the announcements of
 * every instance, so that reads and watches of an unchanged configuration cost no query and no
 * merge (effective documents are computed when a layer changes, never when they are read).
 *
 * <p>Correctness does not rest on timing: each announcement raises the collector's "newest known
 * revision", and a cached revision older than that is never served; a resync forgets everything.
 */
final class EffectiveRevisionCache implements ConfigChangeFeedPort.Listener {

    /** Bounds memory: beyond this many collectors, entries are not added (reads go to the database). */
    static final int MAX_ENTRIES = 100_000;

    private final LoadLayersPort delegate;
    private final ConcurrentHashMap<CollectorId, EffectiveRevision> latest = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CollectorId, Integer> newestKnown = new ConcurrentHashMap<>();
    private volatile long generation;

    EffectiveRevisionCache(LoadLayersPort delegate) {
        this.delegate = delegate;
    }

    /**
     * A collector's effective revision, from memory when it is known to be current.
     *
     * @param id the collector
     * @return the revision, or empty when it has none
     */
    Optional<EffectiveRevision> load(CollectorId id) {
        EffectiveRevision cached = latest.get(id);
        if (cached != null && cached.revision().value() >= newestKnown.getOrDefault(id, 0)) {
            return Optional.of(cached);
        }
        long before = generation;
        Optional<EffectiveRevision> loaded = delegate.loadEffective(id);
        // A resync during the read may have cleared entries the read raced with: do not store then.
        if (loaded.isPresent() && before == generation && latest.size() < MAX_ENTRIES) {
            keep(loaded.get());
        }
        return loaded;
    }

    /** A change through this instance is visible to its next read at once (read your writes). */
    void stored(EffectiveRevision revision) {
        published(revision.collectorId(), revision.revision());
        keep(revision);
    }

    private void keep(EffectiveRevision r) {
        // Same number, newer sources (a layer version that changed nothing) replaces the older entry.
        latest.merge(r.collectorId(), r, (a, b) -> a.revision().compareTo(b.revision()) > 0 ? a : b);
    }

    /** Forgets a collector (decommissioned, or its sources changed without a new number elsewhere). */
    void forget(CollectorId id) {
        latest.remove(id);
    }

    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
        newestKnown.merge(collectorId, version.value(), Math::max);
        EffectiveRevision cached = latest.get(collectorId);
        if (cached != null && cached.revision().value() < version.value()) {
            latest.remove(collectorId, cached);
        }
    }

    @Override
    public void sourcesChanged(CollectorId collectorId, ConfigVersion revision) {
        // A read that began before the change may be about to store the old sources: it must not.
        generation++;
        EffectiveRevision cached = latest.get(collectorId);
        if (cached != null && cached.revision().value() <= revision.value()) {
            latest.remove(collectorId, cached);
        }
    }

    @Override
    public void resync() {
        generation++;
        latest.clear();
    }
}
