package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;

/**
 * One-time enrolment tokens of pre-provisioned collectors, kept as hashes. A registration uses one
 * inside its own transaction ({@link RegistrationStorePort.Transaction#consumeEnrolmentToken}).
 */
public interface EnrolmentTokenStorePort {

    /**
     * Stores a token with the audit entry of its issue, in one transaction, when its collector is
     * part of the fleet.
     *
     * @param tokenHash   SHA-256 of the token
     * @param collectorId the collector it enrols
     * @param expiresAt   expiry
     * @param audit       the audit entry of its issue
     * @return stored, or (nothing stored) the collector is unknown or decommissioned
     */
    Saving saveEnrolmentToken(String tokenHash, CollectorId collectorId, Instant expiresAt, AuditEntry audit);

    /** Whether a token was stored, and if not why. */
    sealed interface Saving {
        /** Stored, with its audit entry. */
        record Stored() implements Saving {
        }

        /** No collector has the id. */
        record Unknown() implements Saving {
        }

        /**
         * The collector was decommissioned.
         *
         * @param at when
         */
        record Decommissioned(Instant at) implements Saving {
        }
    }
}
