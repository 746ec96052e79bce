package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;

/**
 * Reading a collector's own layer as published (not merged with the fleet and its groups).
 */
public interface OwnConfigQuery {

    /**
     * The own layer's latest version.
     *
     * @param id the collector
     * @return the revision, or why there is none ({@link ConfigLookup.Decommissioned} for a
     *         decommissioned collector: its versions are history, read one by one)
     */
    ConfigLookup own(CollectorId id);
}
