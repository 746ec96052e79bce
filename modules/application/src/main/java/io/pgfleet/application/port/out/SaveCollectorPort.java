package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.Collector;

/**
 * Stores a new collector.
 */
public interface SaveCollectorPort {

    /**
     * Stores the collector and its audit entry, unless its id is taken.
     *
     * @param collector the new collector
     * @param audit     the audit entry of its creation
     * @return true when stored, false when a collector with that id already existed (nothing stored)
     */
    boolean saveNewCollector(Collector collector, AuditEntry audit);
}
