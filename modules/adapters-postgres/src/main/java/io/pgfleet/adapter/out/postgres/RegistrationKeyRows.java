package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.LayerStorePort.KeyedRegistration;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Optional;

/**
 * Registrations' idempotency keys (table {@code registration_keys}, migration V28), read and written
 * inside a registration's transaction.
 */
final class RegistrationKeyRows {

    private RegistrationKeyRows() {
    }

    /**
     * Inserts the key, or takes over an expired entry; a live entry is left alone and returned,
     * locked. The insert waits for a transaction that inserted the same key and has not ended, so
     * two requests with one key never both claim it (the primary key decides).
     */
    static Optional<KeyedRegistration> claim(DbExecute tx, String keyHash, KeyedRegistration registration, Instant now,
                                             Instant expiredBefore) {
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
        return Optional.of(lock(tx, keyHash, expiredBefore).orElseThrow(() -> new IllegalStateException(
                "the registration key conflicted but its entry is gone")));
    }

    static Optional<KeyedRegistration> lock(DbExecute tx, String keyHash, Instant expiredBefore) {
        return tx.get("SELECT collector_id, request_hash, family_id FROM registration_keys"
                        + " WHERE key_hash = ? AND created_at >= ? FOR UPDATE", keyHash,
                        Rows.timestamp(expiredBefore))
                .map(RegistrationKeyRows::registration);
    }

    static void reissue(DbExecute tx, String keyHash, String oldFamily, String newFamily, Instant now) {
        tx.update("UPDATE registration_keys SET family_id = ? WHERE key_hash = ?", newFamily, keyHash);
        tx.update("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                Rows.timestamp(now), oldFamily);
    }

    private static KeyedRegistration registration(DbRow row) {
        return new KeyedRegistration(CollectorId.of(Rows.text(row, "collector_id")), Rows.text(row, "request_hash"),
                Rows.text(row, "family_id"));
    }
}
