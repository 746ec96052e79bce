package io.pgfleet.application.fake;

import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigHistoryPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.application.port.out.SaveCollectorPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.PublishResult;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Collectors and their revision histories in memory. Like the PostgreSQL adapter it takes the
 * publishing decision while it holds the collector's history exclusively, refuses a revision
 * whose version is not the next one, and writes the audit entry with the revision or not at all.
 */
public final class InMemoryConfigStore implements LoadCollectorPort, SaveCollectorPort, LoadConfigRevisionPort,
        AppendConfigRevisionPort, LoadConfigHistoryPort {

    private final Map<CollectorId, Collector> collectors = new HashMap<>();
    private final Map<CollectorId, List<ConfigRevision>> revisions = new HashMap<>();
    private final List<AuditEntry> audit = new ArrayList<>();
    private int reads;

    /**
     * Adds a collector as if it had been provisioned.
     *
     * @param collector the collector
     * @return this store
     */
    public synchronized InMemoryConfigStore with(Collector collector) {
        collectors.put(collector.id(), collector);
        return this;
    }

    @Override
    public synchronized boolean saveNewCollector(Collector collector, AuditEntry entry) {
        if (collectors.putIfAbsent(collector.id(), collector) != null) {
            return false;
        }
        audit.add(entry);
        return true;
    }

    @Override
    public synchronized Optional<Collector> loadCollector(CollectorId collectorId) {
        reads++;
        return Optional.ofNullable(collectors.get(collectorId));
    }

    @Override
    public synchronized PublishResult append(CollectorId collectorId,
                                             Function<Optional<ConfigRevision>, PublishResult> decision,
                                             Function<ConfigRevision, AuditEntry> auditOf) {
        if (!collectors.containsKey(collectorId)) {
            return new PublishResult.CollectorNotFound(collectorId);
        }
        List<ConfigRevision> history = revisions.computeIfAbsent(collectorId, k -> new ArrayList<>());
        Optional<ConfigRevision> latest = history.isEmpty() ? Optional.empty() : Optional.of(history.getLast());
        PublishResult result = decision.apply(latest);
        if (result instanceof PublishResult.Published published) {
            ConfigVersion expected = latest.map(r -> r.version().next()).orElse(ConfigVersion.first());
            if (!published.revision().version().equals(expected)) {
                throw new IllegalStateException("version " + published.revision().version() + " is not the next one, "
                        + expected);
            }
            history.add(published.revision());
            audit.add(auditOf.apply(published.revision()));
        }
        return result;
    }

    @Override
    public synchronized Optional<ConfigRevision> loadLatest(CollectorId collectorId) {
        reads++;
        List<ConfigRevision> history = revisions.getOrDefault(collectorId, List.of());
        return history.isEmpty() ? Optional.empty() : Optional.of(history.getLast());
    }

    @Override
    public synchronized Optional<ConfigRevision> loadVersion(CollectorId collectorId, ConfigVersion version) {
        reads++;
        return revisions.getOrDefault(collectorId, List.of()).stream()
                .filter(r -> r.version().equals(version)).findFirst();
    }

    @Override
    public synchronized List<ConfigRevision> loadHistory(CollectorId collectorId, ConfigVersion before, int limit) {
        reads++;
        return revisions.getOrDefault(collectorId, List.of()).stream()
                .filter(r -> r.version().compareTo(before) < 0)
                .sorted(Comparator.comparing(ConfigRevision::version).reversed())
                .limit(limit)
                .toList();
    }

    /**
     * @param collectorId a collector
     * @return its revisions, oldest first
     */
    public synchronized List<ConfigRevision> revisionsOf(CollectorId collectorId) {
        return List.copyOf(revisions.getOrDefault(collectorId, List.of()));
    }

    /** @return every audit entry written, oldest first */
    public synchronized List<AuditEntry> audit() {
        return List.copyOf(audit);
    }

    /** @return how many reads reached this store (to show what a cache saves) */
    public synchronized int reads() {
        return reads;
    }

    @Override
    public Optional<java.time.Instant> loadDecommissionedAt(CollectorId collectorId) {
        // Decommissioning is the layer store's (InMemoryLayerStore); this store never decommissions.
        return Optional.empty();
    }

        @Override
        public java.util.Optional<io.pgfleet.domain.collector.CollectorTombstone> loadTombstone(CollectorId collectorId) {
            return java.util.Optional.empty();
        }
}
