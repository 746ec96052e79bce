package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;

import java.util.Optional;

/**
 * Reads configuration revisions.
 */
public interface LoadConfigRevisionPort {

    /**
     * The collector's latest revision.
     *
     * @param collectorId the collector
     * @return the revision with the highest version, or empty when there is none
     */
    Optional<ConfigRevision> loadLatest(CollectorId collectorId);

    /**
     * One revision.
     *
     * @param collectorId the collector
     * @param version     the version
     * @return the revision, or empty when there is none with that version
     */
    Optional<ConfigRevision> loadVersion(CollectorId collectorId, ConfigVersion version);
}
