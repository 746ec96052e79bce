package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * What operators of the server itself use: the audit trail and readiness.
 *
 * @param audit reading the audit trail
 * @param health readiness of the server and its database
 */
public record OperationsUseCases(AuditTrailQuery audit, HealthQuery health) {

    /** Requires every use case. */
    public OperationsUseCases {
        Objects.requireNonNull(audit, "audit");
        Objects.requireNonNull(health, "health");
    }
}
