package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Instant;

/**
 * An operator hands a pre-provisioned collector a one-time enrolment token.
 */
public interface IssueEnrolmentTokenUseCase {

    /**
     * Issues a token valid for 24 hours.
     *
     * @param collectorId the pre-provisioned collector
     * @param actor       who issues it
     * @return the token (shown once), not found, or decommissioned
     */
    EnrolmentResult issueEnrolmentToken(CollectorId collectorId, Actor actor);

    /** The outcome. */
    sealed interface EnrolmentResult {
        /**
         * Issued.
         *
         * @param token     the token, never stored in clear
         * @param expiresAt its expiry
         */
        record Issued(String token, Instant expiresAt) implements EnrolmentResult {
        }

        /**
         * No collector ever had this id (the store tells a decommissioned one's apart, in the same
         * read: {@link Decommissioned}).
         *
         * @param collectorId the id asked for
         */
        record CollectorNotFound(CollectorId collectorId) implements EnrolmentResult {
        }

        /**
         * The collector was decommissioned: its id is never bound to a host again.
         *
         * @param collectorId the id asked for
         * @param at          when it was decommissioned
         */
        record Decommissioned(CollectorId collectorId, Instant at) implements EnrolmentResult {
        }
    }
}
