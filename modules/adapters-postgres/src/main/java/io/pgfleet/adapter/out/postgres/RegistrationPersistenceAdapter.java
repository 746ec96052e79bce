package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.RegistrationStorePort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/**
 * Registrations, each in one transaction: the collector ({@code collectors}) or the use of its
 * enrolment token, its first refresh token, its idempotency key ({@code registration_keys},
 * migration V28) and, through the layer adapter's transaction it extends, its first effective
 * revision.
 */
public final class RegistrationPersistenceAdapter implements RegistrationStorePort {

    private final DbClient db;
    private final DocumentCache documents;

    RegistrationPersistenceAdapter(DbClient db, DocumentCache documents) {
        this.db = db;
        this.documents = documents;
    }

    @Override
    public <T> T transact(Function<RegistrationStorePort.Transaction, LayerStorePort.Outcome<T>> work) {
        return LayerPersistenceAdapter.transact(db, "registering a collector", t -> new Tx(t, documents), work);
    }

    /** A registration's view: a layer change's, and the registration's own rows. */
    private static final class Tx extends LayerPersistenceAdapter.Tx implements RegistrationStorePort.Transaction {

        Tx(DbTransaction tx, DocumentCache documents) {
            super(tx, documents);
        }

        @Override
        public boolean insertCollector(Collector collector, AuditEntry audit) {
            return CollectorPersistenceAdapter.insert(tx, collector, audit);
        }

        @Override
        public Optional<CollectorId> consumeEnrolmentToken(String tokenHash, Instant now,
                                                           Optional<CollectorId> forCollector) {
            return TokenPersistenceAdapter.consumeEnrolmentToken(tx, tokenHash, now, forCollector);
        }

        @Override
        public Optional<Collector> collector(CollectorId id) {
            return tx.get("SELECT id, name, hostname, labels::text AS labels, created_at, revoked_at IS NOT NULL AS revoked"
                    + " FROM collectors WHERE id = ? AND decommissioned_at IS NULL FOR UPDATE", id.value())
                    .map(CollectorPersistenceAdapter::collector);
        }

        @Override
        public void saveHostname(CollectorId id, String hostname) {
            tx.update("UPDATE collectors SET hostname = ? WHERE id = ? AND decommissioned_at IS NULL", hostname, id.value());
        }

        @Override
        public void saveSeen(CollectorId id, Instant at) {
            tx.update("UPDATE collectors SET last_seen_at = greatest(last_seen_at, ?) WHERE id = ?",
                    Rows.timestamp(at), id.value());
        }

        @Override
        public void liftRevocation(CollectorId id) {
            // The decommission condition is the rule itself, not only the caller's: a decommissioned
            // collector stays revoked (migration V31 holds the table to it as well).
            tx.update("UPDATE collectors SET revoked_at = NULL WHERE id = ? AND decommissioned_at IS NULL", id.value());
        }

        @Override
        public void revokeRefreshTokens(CollectorId id, Instant now) {
            // After the refreshes of the previous host under way: their successors are revoked too.
            TokenPersistenceAdapter.lockSessionsOf(tx, "collector", id.value());
            if (tx.update("UPDATE refresh_tokens SET revoked_at = ? WHERE subject_kind = 'collector' AND subject = ?"
                    + " AND revoked_at IS NULL", Rows.timestamp(now), id.value()) > 0) {
                // The sessions of the host the identity was taken from end with their access tokens,
                // on every instance (a watch it holds is checked again at once).
                PostgresChangeFeed.announcePrincipal(tx, id.value());
            }
        }

        /**
         * Inserts the key, or takes over an expired entry; a live entry is left alone and returned,
         * locked. The insert waits for a transaction that inserted the same key and has not ended, so
         * two requests with one key never both claim it (the primary key decides).
         */
        @Override
        public Optional<KeyedRegistration> claimRegistrationKey(String keyHash, KeyedRegistration registration,
                                                                Instant now, Instant expiredBefore) {
            boolean claimed = tx.get("""
                            INSERT INTO registration_keys (key_hash, request_hash, collector_id, family_id, created_at)
                            VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (key_hash) DO UPDATE SET request_hash = EXCLUDED.request_hash,
                                collector_id = EXCLUDED.collector_id, family_id = EXCLUDED.family_id,
                                created_at = EXCLUDED.created_at
                            WHERE registration_keys.created_at < ?
                            RETURNING key_hash""", keyHash, registration.requestHash(), registration.collector().value(),
                    registration.familyId(), Rows.timestamp(now), Rows.timestamp(expiredBefore)).isPresent();
            if (claimed) {
                return Optional.empty();
            }
            // A live entry: the conflicting insert found it committed (this statement's snapshot sees it).
            return Optional.of(lockRegistrationKey(keyHash, expiredBefore).orElseThrow(() -> new IllegalStateException(
                    "the registration key conflicted but its entry is gone")));
        }

        @Override
        public Optional<KeyedRegistration> lockRegistrationKey(String keyHash, Instant expiredBefore) {
            return tx.get("SELECT collector_id, request_hash, family_id FROM registration_keys"
                            + " WHERE key_hash = ? AND created_at >= ? FOR UPDATE", keyHash,
                            Rows.timestamp(expiredBefore))
                    .map(Tx::registration);
        }

        @Override
        public boolean sessionLive(String familyId) {
            return tx.get("SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL) AS live",
                    familyId).map(r -> Boolean.TRUE.equals(r.column("live").get(Boolean.class))).orElse(false);
        }

        @Override
        public void reissueRegistration(String keyHash, String oldFamily, String newFamily, Instant now) {
            tx.update("UPDATE registration_keys SET family_id = ? WHERE key_hash = ?", newFamily, keyHash);
            // The earlier answer's pair stops working, its access token included, on every instance.
            tx.query("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL"
                    + " RETURNING subject", Rows.timestamp(now), oldFamily).map(r -> Rows.text(r, "subject")).distinct()
                    .toList().forEach(subject -> PostgresChangeFeed.announcePrincipal(tx, subject));
        }

        @Override
        public void saveRefreshToken(String tokenHash, String familyId, Principal principal, Instant issuedAt,
                                     Instant expiresAt) {
            TokenPersistenceAdapter.insertRefreshToken(tx, tokenHash, familyId, principal, issuedAt, expiresAt);
        }

        private static KeyedRegistration registration(DbRow row) {
            return new KeyedRegistration(CollectorId.of(Rows.text(row, "collector_id")), Rows.text(row, "request_hash"),
                    Rows.text(row, "family_id"));
        }
    }
}
