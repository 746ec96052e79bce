package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;

/**
 * The outcome of asking for a configuration revision.
 */
public sealed interface ConfigLookup {

    /**
     * The revision asked for.
     *
     * @param revision the revision
     */
    record Found(ConfigRevision revision) implements ConfigLookup {
    }

    /**
     * No collector has this id.
     *
     * @param collectorId the id asked for
     */
    record CollectorNotFound(CollectorId collectorId) implements ConfigLookup {
    }

    /**
     * The collector exists but no configuration has been published for it yet.
     *
     * @param collectorId the collector
     */
    record NoConfiguration(CollectorId collectorId) implements ConfigLookup {
    }

    /**
     * The collector exists but has no revision with this version.
     *
     * @param collectorId the collector
     * @param version     the version asked for
     */
    record VersionNotFound(CollectorId collectorId, ConfigVersion version) implements ConfigLookup {
    }
}
