package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;

/**
 * Records an audit entry that belongs to no other write: a refused login, a reused refresh token,
 * a refused registration.
 */
public interface RecordAuditPort {

    /**
     * Appends one entry to the audit trail.
     *
     * @param entry the entry
     */
    void recordAudit(AuditEntry entry);
}
