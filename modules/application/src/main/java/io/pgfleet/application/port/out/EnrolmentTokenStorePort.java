package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Optional;

/**
 * One-time enrolment tokens of pre-provisioned collectors, kept as hashes.
 */
public interface EnrolmentTokenStorePort {

    /**
     * Stores a token.
     *
     * @param tokenHash   SHA-256 of the token
     * @param collectorId the collector it enrols
     * @param expiresAt   expiry
     * @param audit       the audit entry of its issue
     */
    void saveEnrolmentToken(String tokenHash, CollectorId collectorId, Instant expiresAt, AuditEntry audit);

    /**
     * Uses a token once; the collector it enrols is no longer revoked.
     *
     * @param tokenHash SHA-256 of the presented token
     * @param now       the current time
     * @return the collector it enrols, or empty when unknown, used or expired
     */
    default Optional<CollectorId> consumeEnrolmentToken(String tokenHash, Instant now) {
        return consumeEnrolmentToken(tokenHash, now, Optional.empty());
    }

    /**
     * Uses a token once, only when it was issued for the expected collector; a token for another
     * collector is left unused and its collector untouched.
     *
     * @param tokenHash    SHA-256 of the presented token
     * @param now          the current time
     * @param forCollector the collector it must have been issued for; empty for any
     * @return the collector it enrols, or empty when unknown, used, expired or for another collector
     */
    Optional<CollectorId> consumeEnrolmentToken(String tokenHash, Instant now, Optional<CollectorId> forCollector);
}
