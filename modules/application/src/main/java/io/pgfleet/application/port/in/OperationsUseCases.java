package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * What operators of the server itself use: the audit trail, readiness and the retention purge.
 *
 * @param audit reading the audit trail
 * @param health readiness of the server and its database
 * @param purge  deleting what is past its retention (called by a scheduler, not over HTTP)
 */
public record OperationsUseCases(AuditTrailQuery audit, HealthQuery health, PurgeExpiredDataUseCase purge) {

    /** Requires every use case. */
    public OperationsUseCases {
        Objects.requireNonNull(audit, "audit");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(purge, "purge");
    }
}
