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
     * @return the revision, or why there is none
     */
    ConfigLookup own(CollectorId id);
}
