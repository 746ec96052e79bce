package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;

/**
 * Marks a collector revoked.
 */
public interface RevokeCollectorPort {

    /**
     * Revokes, with the audit entry, in one transaction that also announces the change to every
     * instance ({@link ConfigChangeFeedPort.Listener#principalChanged}).
     *
     * @param collectorId the collector
     * @param at          when
     * @param audit       the audit entry
     * @return false when no such collector, or it is decommissioned (nothing stored)
     */
    boolean revokeCollector(CollectorId collectorId, Instant at, AuditEntry audit);
}
