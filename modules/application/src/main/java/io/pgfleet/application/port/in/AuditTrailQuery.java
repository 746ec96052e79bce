package io.pgfleet.application.port.in;

import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditFilter;

import java.util.List;

/**
 * Reading the audit trail.
 */
public interface AuditTrailQuery {

    /**
     * Audit entries, newest first.
     *
     * @param filter which entries
     * @return the matching entries
     */
    List<AuditEntry> find(AuditFilter filter);
}
