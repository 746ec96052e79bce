package io.pgfleet.application.service;

import io.pgfleet.domain.audit.AuditFilter;
import io.pgfleet.application.port.in.AuditTrailQuery;
import io.pgfleet.application.port.out.LoadAuditTrailPort;
import io.pgfleet.domain.audit.AuditEntry;

import java.util.List;

final class AuditTrailService implements AuditTrailQuery {

    private final LoadAuditTrailPort trail;

    AuditTrailService(LoadAuditTrailPort trail) {
        this.trail = trail;
    }

    @Override
    public List<AuditEntry> find(AuditFilter filter) {
        return trail.loadAudit(filter);
    }
}
