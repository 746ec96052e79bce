package io.pgfleet.application.service;

import io.pgfleet.application.port.in.RestoredStatusUseCase;
import io.pgfleet.application.port.out.RestoredMarksPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The marked collectors, loaded once at start and kept in memory: every configuration pull asks,
 * and after the first start following a restore the set is normally empty, so the answer is one
 * lookup in an empty set and no database access. A collector leaves the set when a pull clears its
 * mark, or finds it cleared already (by an apply report, here or on another instance).
 */
final class RestoredMarks implements RestoredStatusUseCase {

    private final RestoredMarksPort port;
    private final Clock clock;
    private final Set<CollectorId> marked = ConcurrentHashMap.newKeySet();

    RestoredMarks(RestoredMarksPort port, Clock clock) {
        this.port = port;
        this.clock = clock;
        marked.addAll(port.loadRestoredMarks());
    }

    @Override
    public boolean marked(CollectorId collectorId) {
        return !marked.isEmpty() && marked.contains(collectorId);
    }

    @Override
    public void runs(CollectorId collectorId, ConfigVersion revision) {
        if (!marked(collectorId)) {
            return;
        }
        // Left in the set when the revision is no longer the current one: a later pull may still prove it.
        if (port.saveRunsRevision(collectorId, revision, clock.instant())) {
            marked.remove(collectorId);
        }
    }

    @Override
    public void runsNothing(CollectorId collectorId) {
        if (marked(collectorId) && port.saveRunsNothing(collectorId, clock.instant())) {
            marked.remove(collectorId);
        }
    }
}
