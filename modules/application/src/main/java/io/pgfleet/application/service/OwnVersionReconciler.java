package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Keeps effective documents in step with own-document versions published by servers that do not
 * maintain them (the previous release, during a rolling upgrade): when an own version is announced
 * that the collector's effective revision does not name as its source, the effective document is
 * recomputed. A version published by this release is already named, so this costs nothing
 * when the instance's in-memory view of effective revisions knows a revision naming it (or a later
 * own version), and one read otherwise; so is one that a later version already superseded
 * (publishes of one collector stored together announce every version, and only the last is named).
 *
 * <p>Why a remembered revision, even an outdated one, is enough to say "in step": own versions of a
 * collector only grow, and every effective revision names the own version that was current when it
 * was computed, so a later effective revision names the same own version or a later one. Only
 * "not in step" needs the stored revision, to avoid recomputing for nothing.
 */
final class OwnVersionReconciler implements ConfigChangeFeedPort.Listener, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(OwnVersionReconciler.class.getName());

    private final LoadLayersPort layers;
    private final java.util.function.Function<CollectorId, java.util.Optional<EffectiveRevision>> remembered;
    private final LayerChangeService changes;
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    // At most one pending recomputation per collector: a burst of announcements costs one.
    private final Set<CollectorId> pending = ConcurrentHashMap.newKeySet();

    OwnVersionReconciler(LoadLayersPort layers, LayerChangeService changes) {
        this(layers, id -> java.util.Optional.empty(), changes);
    }

    /**
     * @param layers     the stored effective revisions
     * @param remembered this instance's in-memory view of effective revisions (possibly outdated)
     * @param changes    recomputes a collector's effective revision
     */
    OwnVersionReconciler(LoadLayersPort layers,
                         java.util.function.Function<CollectorId, java.util.Optional<EffectiveRevision>> remembered,
                         LayerChangeService changes) {
        this.layers = layers;
        this.remembered = remembered;
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
                if (!inStep(collectorId, version)) {
                    changes.refresh(collectorId);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not bring the effective configuration of " + collectorId
                        + " in step with its own version " + version + ": " + e.getMessage());
            }
        });
    }

    /**
     * Whether the collector's effective revision is built from this own version or a later one.
     *
     * @param collectorId the collector
     * @param version     an own version announced
     * @return true when nothing needs recomputing
     */
    boolean inStep(CollectorId collectorId, ConfigVersion version) {
        if (remembered.apply(collectorId).map(e -> ownVersionNamed(e.sources()) >= version.value()).orElse(false)) {
            return true;
        }
        return layers.loadEffective(collectorId).map(e -> ownVersionNamed(e.sources()) >= version.value()).orElse(false);
    }

    /** The own version an effective revision's sources name ({@code collector@N}, the last source), or 0. */
    static int ownVersionNamed(java.util.List<String> sources) {
        if (sources.isEmpty()) {
            return 0;
        }
        String last = sources.get(sources.size() - 1);
        if (!last.startsWith("collector@")) {
            return 0;
        }
        try {
            return Integer.parseInt(last.substring("collector@".length()));
        } catch (NumberFormatException e) {
            return 0;
        }
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

    /** What the log calls it (a change-feed listener that fails or recovers is named): words, not a class and hash code. */
    @Override
    public String toString() {
        return "reconciler of own versions published by a previous release";
    }
}
