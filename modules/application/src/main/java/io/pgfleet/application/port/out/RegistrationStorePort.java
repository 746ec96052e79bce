package io.pgfleet.application.port.out;

import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Runs a collector's registration as one transaction: the collector (or the use of its enrolment
 * token), its idempotency key, its first refresh token and the effective document its arrival
 * composes are committed together, or nothing is — so a registration that fails leaves nothing
 * behind, and one retried with its key creates nothing a second time.
 */
public interface RegistrationStorePort {

    /**
     * Runs the work in a transaction and commits it when the work says so, else rolls it back.
     *
     * @param work the registration, deciding from what it reads through the transaction
     * @param <T>  the work's result
     * @return the work's result
     * @throws StorageUnavailableException when the database cannot be reached
     */
    <T> T transact(Function<Transaction, LayerStorePort.Outcome<T>> work);

    /**
     * What a registration's idempotency key names (kept as hashes only).
     *
     * @param collector   the collector the key's first registration created or enrolled
     * @param requestHash SHA-256 fingerprint of the request the key came with
     * @param familyId    the refresh-token family of the latest answer given for the key
     */
    record KeyedRegistration(CollectorId collector, String requestHash, String familyId) {
        /** Requires every part. */
        public KeyedRegistration {
            Objects.requireNonNull(collector, "collector");
            Objects.requireNonNull(requestHash, "requestHash");
            Objects.requireNonNull(familyId, "familyId");
        }
    }

    /**
     * What a registration can read and write: everything a change of one collector's layers can
     * (its arrival composes its first effective document under the shared layers lock), and the
     * registration's own rows.
     */
    interface Transaction extends LayerStorePort.Transaction {

        /**
         * Stores a new collector and its audit entry, unless its id is taken.
         *
         * @param collector the new collector
         * @param audit     the audit entry of its creation
         * @return true when stored, false when the id was taken (nothing stored)
         */
        boolean insertCollector(Collector collector, AuditEntry audit);

        /**
         * Uses an enrolment token once, only when it was issued for the expected collector; kept only
         * if the transaction commits. Whether its collector may still be enrolled is
         * {@link #collector}'s answer.
         *
         * @param tokenHash    SHA-256 of the presented token
         * @param now          the current time
         * @param forCollector the collector it must have been issued for; empty for any
         * @return the collector it enrols, or empty when unknown, used, expired or for another collector
         */
        Optional<CollectorId> consumeEnrolmentToken(String tokenHash, Instant now, Optional<CollectorId> forCollector);

        /**
         * Locks and reads a collector of the fleet, revoked or not, until the end of the transaction:
         * a decommission at the same time either comes first (and the collector is absent) or waits.
         *
         * @param id the collector
         * @return it, or empty when unknown or decommissioned (a decommissioned id is never enrolled again)
         */
        Optional<Collector> collector(CollectorId id);

        /**
         * Records the host name an enrolling agent sent for its collector.
         *
         * @param id       the collector, locked by {@link #collector}
         * @param hostname the host name, checked as a new one
         */
        void saveHostname(CollectorId id, String hostname);

        /**
         * Records contact with the collector's agent: a registration is one, so an agent that registers
         * and then dies is seen, goes stale and is alerted on, not "never seen" for ever.
         *
         * @param id the collector
         * @param at when its agent registered
         */
        void saveSeen(CollectorId id, Instant at);

        /**
         * Lifts a collector's revocation (a re-bind with an enrolment token), never a decommissioned
         * collector's.
         *
         * @param id the collector, locked by {@link #collector}
         */
        void liftRevocation(CollectorId id);

        /**
         * Revokes every refresh token the collector holds: an enrolment hands its identity to the
         * enrolling agent alone, so a host it was taken from (re-imaged, cloned, stolen) refreshes
         * no more.
         *
         * @param id  the collector, locked by {@link #collector}
         * @param now when
         */
        void revokeRefreshTokens(CollectorId id, Instant now);

        /**
         * Claims a registration's idempotency key for the registration this transaction makes,
         * unless a registration within the keys' retention holds it; an entry older than that is
         * taken over. A transaction claiming the same key at the same time is waited for, so of
         * two requests with one key exactly one registers.
         *
         * @param keyHash       SHA-256 of the credential's kind and hash with the key
         * @param registration  what the key will name once the transaction commits
         * @param now           the current time
         * @param expiredBefore entries created before this are expired
         * @return empty when claimed; else the live registration holding the key, locked until the
         *         end of the transaction
         */
        Optional<KeyedRegistration> claimRegistrationKey(String keyHash, KeyedRegistration registration, Instant now,
                                                         Instant expiredBefore);

        /**
         * Locks and reads the live registration an idempotency key names.
         *
         * @param keyHash       SHA-256 of the credential's kind and hash with the key
         * @param expiredBefore entries created before this are expired (absent)
         * @return it, or empty when no live registration holds the key
         */
        Optional<KeyedRegistration> lockRegistrationKey(String keyHash, Instant expiredBefore);

        /**
         * Whether a refresh-token family (a session) still holds a token that is not revoked.
         *
         * @param familyId the family
         * @return false once every token of it is revoked (or gone)
         */
        boolean sessionLive(String familyId);

        /**
         * Moves a key's registration to the refresh-token family of a new answer and revokes every
         * token of the family the earlier answer carried.
         *
         * @param keyHash   the key's hash
         * @param oldFamily the earlier answer's family
         * @param newFamily the new answer's family
         * @param now       the revocation time
         */
        void reissueRegistration(String keyHash, String oldFamily, String newFamily, Instant now);

        /**
         * Stores the first refresh token of a family, kept only if the transaction commits.
         *
         * @param tokenHash SHA-256 of the token
         * @param familyId  its family
         * @param principal whom it identifies
         * @param issuedAt  when
         * @param expiresAt expiry
         */
        void saveRefreshToken(String tokenHash, String familyId, Principal principal, Instant issuedAt, Instant expiresAt);
    }
}
