package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

/**
 * Reading a collector's configuration.
 */
public interface GetConfigQuery {

    /**
     * The collector's latest configuration.
     *
     * @param collectorId the collector
     * @return the latest revision, or why there is none
     */
    ConfigLookup latest(CollectorId collectorId);

    /**
     * One version of the collector's configuration.
     *
     * @param collectorId the collector
     * @param version     the version
     * @return that revision, or why there is none
     */
    ConfigLookup version(CollectorId collectorId, ConfigVersion version);
}
