package io.pgfleet.application.service;

import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * An in-memory view of each collector's latest revision, kept fresh by the publish announcements
 * of every instance, so that reads and watches of an unchanged configuration cost no query.
 *
 * <p>Correctness does not rest on timing: each announcement raises the collector's "newest known
 * version", and a cached revision older than that is never served; a resync (the LISTEN connection
 * came back) forgets everything. The worst case is a cache miss, never a stale answer after the
 * announcement arrived.
 */
final class LatestRevisionCache implements LoadConfigRevisionPort, AppendConfigRevisionPort,
        ConfigChangeFeedPort.Listener {

    /** Bounds memory: beyond this many collectors, entries are not added (reads go to the database). */
    static final int MAX_ENTRIES = 100_000;

    private final LoadConfigRevisionPort delegate;
    private final AppendConfigRevisionPort append;
    private final ConcurrentHashMap<CollectorId, ConfigRevision> latest = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CollectorId, Integer> newestKnown = new ConcurrentHashMap<>();
    private volatile long generation;

    LatestRevisionCache(LoadConfigRevisionPort delegate, AppendConfigRevisionPort append) {
        this.delegate = delegate;
        this.append = append;
    }

    /** A publish through this instance is visible to this instance's next read at once (read your writes). */
    @Override
    public PublishResult append(CollectorId collectorId, Function<Optional<ConfigRevision>, PublishResult> decision,
                                Function<ConfigRevision, AuditEntry> audit) {
        PublishResult result = append.append(collectorId, decision, audit);
        if (result instanceof PublishResult.Published p) {
            published(collectorId, p.revision().version().value());
            latest.merge(collectorId, p.revision(), (a, b) -> a.version().compareTo(b.version()) >= 0 ? a : b);
        }
        return result;
    }

    @Override
    public Optional<ConfigRevision> loadLatest(CollectorId collectorId) {
        ConfigRevision cached = latest.get(collectorId);
        if (cached != null && cached.version().value() >= newestKnown.getOrDefault(collectorId, 0)) {
            return Optional.of(cached);
        }
        long before = generation;
        Optional<ConfigRevision> loaded = delegate.loadLatest(collectorId);
        // A resync during the read may have cleared entries the read raced with: do not store then.
        if (loaded.isPresent() && before == generation && latest.size() < MAX_ENTRIES) {
            latest.merge(collectorId, loaded.get(), (a, b) -> a.version().compareTo(b.version()) >= 0 ? a : b);
        }
        return loaded;
    }

    @Override
    public Optional<ConfigRevision> loadVersion(CollectorId collectorId, ConfigVersion version) {
        return delegate.loadVersion(collectorId, version);
    }

    @Override
    public void published(CollectorId collectorId, int version) {
        newestKnown.merge(collectorId, version, Math::max);
        ConfigRevision cached = latest.get(collectorId);
        if (cached != null && cached.version().value() < version) {
            latest.remove(collectorId, cached);
        }
    }

    @Override
    public void resync() {
        generation++;
        latest.clear();
    }
}
