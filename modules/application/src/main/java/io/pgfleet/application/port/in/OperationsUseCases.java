package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * What operators of the server itself use: the audit trail, readiness, the retention purge and the
 * warm-up at start.
 *
 * @param audit reading the audit trail
 * @param health readiness of the server and its database
 * @param purge  deleting what is past its retention (called by a scheduler, not over HTTP)
 * @param warmUp running the publish path's pure code before the first publish (called by the server
 *               at start, not over HTTP)
 */
public record OperationsUseCases(AuditTrailQuery audit, HealthQuery health, PurgeExpiredDataUseCase purge,
                                 WarmUpUseCase warmUp) {

    /** Requires every use case. */
    public OperationsUseCases {
        Objects.requireNonNull(audit, "audit");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(purge, "purge");
        Objects.requireNonNull(warmUp, "warmUp");
    }
}
