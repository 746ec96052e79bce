package io.pgfleet.application.port.out;

import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;

/**
 * Rotating refresh tokens, kept as hashes.
 */
public interface RefreshTokenStorePort {

    /**
     * Stores a new token of a family.
     *
     * @param tokenHash SHA-256 of the token
     * @param familyId  the family (one login or registration)
     * @param principal whom it refreshes
     * @param issuedAt  issue time
     * @param expiresAt expiry
     */
    void saveRefreshToken(String tokenHash, String familyId, Principal principal, Instant issuedAt, Instant expiresAt);

    /**
     * Uses a token once, atomically. Presented again within {@code reuseGrace} of its first use
     * (the answer to that use was lost), it is consumed again and the family goes on; presented
     * again later, its whole family is revoked.
     *
     * @param tokenHash  SHA-256 of the presented token
     * @param now        the current time
     * @param reuseGrace how long after its first use a token may be presented once more
     * @return what happened
     */
    Consumption consumeRefreshToken(String tokenHash, Instant now, java.time.Duration reuseGrace);

    /**
     * Revokes every token of a user (disabled, or password changed); never a collector's, even one
     * whose id is the same text.
     *
     * @param username the user
     * @param now      the revocation time
     */
    void revokeRefreshTokensOfUser(Username username, Instant now);

    /**
     * Revokes every token of a collector (revoked); never a user's, even one whose name is the
     * same text.
     *
     * @param collectorId the collector
     * @param now         the revocation time
     */
    void revokeRefreshTokensOfCollector(CollectorId collectorId, Instant now);

    /** The outcome of presenting a refresh token. */
    sealed interface Consumption {
        /**
         * First use of a current token: it is now spent.
         *
         * @param principal whom it refreshes
         * @param familyId  its family, for the successor
         */
        record Consumed(Principal principal, String familyId) implements Consumption {
        }

        /**
         * Already used once: the family is now revoked.
         *
         * @param familyId the revoked family
         */
        record Reused(String familyId) implements Consumption {
        }

        /** Unknown, expired or revoked. */
        record Rejected() implements Consumption {
        }
    }
}
