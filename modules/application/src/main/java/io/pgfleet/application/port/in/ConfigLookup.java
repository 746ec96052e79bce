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
     * @param sources  for an effective document, the layer versions merged into it (else empty)
     */
    record Found(ConfigRevision revision, java.util.List<String> sources) implements ConfigLookup {
        /** Copies the sources. */
        public Found {
            java.util.Objects.requireNonNull(revision, "revision");
            sources = java.util.List.copyOf(sources);
        }

        /**
         * A revision of one history, without layer sources.
         *
         * @param revision the revision
         */
        public Found(ConfigRevision revision) {
            this(revision, java.util.List.of());
        }
    }

    /**
     * No collector ever had this id (a decommissioned collector keeps its row, so the read that
     * finds none also tells it apart from {@link Decommissioned}).
     *
     * @param collectorId the id asked for
     */
    record CollectorNotFound(CollectorId collectorId) implements ConfigLookup {
    }

    /**
     * The collector was decommissioned: it has no live configuration any more (its own layer's
     * history stays readable, by version, until the retention purge leaves only its tombstone). Told from {@link CollectorNotFound} and
     * {@link NoConfiguration} by the use case on the path that finds no live document only (one read
     * of the collector's decommission time), never when one is found, so that no caller asks
     * anyone else.
     *
     * @param collectorId the collector
     * @param at          when it was decommissioned
     */
    record Decommissioned(CollectorId collectorId, java.time.Instant at) implements ConfigLookup {
        /** Requires both. */
        public Decommissioned {
            java.util.Objects.requireNonNull(collectorId, "collectorId");
            java.util.Objects.requireNonNull(at, "at");
        }
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
