package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.Collector;

/**
 * Stores a new collector.
 */
public interface SaveCollectorPort {

    /**
     * Stores the collector unless its id is taken.
     *
     * @param collector the new collector
     * @return true when stored, false when a collector with that id already existed
     */
    boolean saveNewCollector(Collector collector);
}
