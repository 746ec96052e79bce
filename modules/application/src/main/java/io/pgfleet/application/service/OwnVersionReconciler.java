package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Keeps effective documents in step with own-document versions published by servers that do not
 * maintain them (the previous release, during a rolling upgrade): when an own version is announced
 * that the collector's effective revision does not name as its source, the effective document is
 * recomputed. A version published by this release is already named, so this costs one read.
 */
final class OwnVersionReconciler implements ConfigChangeFeedPort.Listener, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(OwnVersionReconciler.class.getName());

    private final LoadLayersPort layers;
    private final LayerChangeService changes;
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    // At most one pending recomputation per collector: a burst of announcements costs one.
    private final Set<CollectorId> pending = ConcurrentHashMap.newKeySet();

    OwnVersionReconciler(LoadLayersPort layers, LayerChangeService changes) {
        this.layers = layers;
        this.changes = changes;
    }

    @Override
    public void ownVersionPublished(CollectorId collectorId, ConfigVersion version) {
        if (!pending.add(collectorId)) {
            return;
        }
        work.submit(() -> {
            try {
                pending.remove(collectorId);
                boolean current = layers.loadEffective(collectorId)
                        .map(e -> e.sources().contains("collector@" + version.value()))
                        .orElse(false);
                if (!current) {
                    changes.refresh(collectorId);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not bring the effective configuration of " + collectorId
                        + " in step with its own version " + version + ": " + e.getMessage());
            }
        });
    }

    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
        // Effective revisions are this release's own announcements: nothing to reconcile.
    }

    @Override
    public void resync() {
        // Missed own versions are caught up by the next announcement or change of the collector.
    }

    @Override
    public void close() {
        work.shutdownNow();
    }
}
