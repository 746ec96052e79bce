package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditFilter;
import io.pgfleet.domain.audit.AuditEntry;

import java.util.List;

/**
 * Reads the audit trail.
 */
public interface LoadAuditTrailPort {

    /**
     * Entries matching a filter, newest first.
     *
     * @param filter which entries
     * @return the entries, at most {@link AuditFilter#limit()}
     */
    List<AuditEntry> loadAudit(AuditFilter filter);
}
