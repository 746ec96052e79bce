package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

/**
 * After a restore, a collector's configuration pull answered 304 for its current revision says what
 * its agent runs: the restore mark on its apply status ends.
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
}
