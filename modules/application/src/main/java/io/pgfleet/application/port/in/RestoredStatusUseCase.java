package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

/**
 * After a restore, a collector's own configuration pull that shows it holds what the server has for
 * it says what its agent runs: its current revision answered 304, or nothing published and nothing
 * held. The restore mark on its apply status then ends.
 */
public interface RestoredStatusUseCase {

    /**
     * Whether the collector's apply status is still the backup's, as this instance knows it (from
     * memory: asked on every configuration pull).
     *
     * @param collectorId the collector
     * @return true while it is marked
     */
    boolean marked(CollectorId collectorId);

    /**
     * The collector's agent holds its current effective revision (it pulled it and was answered 304):
     * recorded as an applied report of it, and the mark cleared.
     *
     * @param collectorId the collector
     * @param revision    the revision the agent holds
     */
    void runs(CollectorId collectorId, ConfigVersion revision);

    /**
     * The collector's agent holds no configuration (its pull named no revision and no entity tag) and
     * none is published for it: it runs the defaults, which is what the server has for it. Its mark
     * is cleared, unless a revision was published for it meanwhile.
     *
     * @param collectorId the collector
     */
    void runsNothing(CollectorId collectorId);
}
