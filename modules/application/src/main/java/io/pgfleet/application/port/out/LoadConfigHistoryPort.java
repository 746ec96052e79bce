package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ConfigRevision;

import java.util.List;

/**
 * Reads a collector's history, newest first.
 */
public interface LoadConfigHistoryPort {

    /**
     * Revisions older than a version, newest first.
     *
     * @param collectorId   the collector
     * @param before        only versions below this one
     * @param limit         at most this many
     * @return the revisions
     */
    List<ConfigRevision> loadHistory(CollectorId collectorId, ConfigVersion before, int limit);
}
