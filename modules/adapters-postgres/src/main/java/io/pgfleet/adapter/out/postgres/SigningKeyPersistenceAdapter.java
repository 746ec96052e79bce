package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.ServerSecretPort;
import io.pgfleet.application.port.out.SigningKeyStorePort;
import io.pgfleet.domain.audit.AuditEntry;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Token signing keys and server secret hashes, shared by every instance on the database.
 */
public final class SigningKeyPersistenceAdapter implements SigningKeyStorePort, ServerSecretPort {

    /** Serialises the count and insert of signing-key rotations of every instance. */
    private static final long SIGNING_KEYS_LOCK = 0x7067666c65657403L;

    private final DbClient db;

    SigningKeyPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public List<SigningKey> loadSigningKeys() {
        return Rows.guard("loading signing keys", () -> db.execute()
                .query("SELECT kid, secret, created_at FROM signing_keys ORDER BY created_at DESC, kid")
                .map(SigningKeyPersistenceAdapter::key).toList());
    }

    private static SigningKey key(DbRow r) {
        return new SigningKey(Rows.text(r, "kid"), Rows.text(r, "secret"), Rows.instant(r, "created_at"));
    }

    @Override
    public Saving saveSigningKeyIfFewer(SigningKey key, int max, AuditEntry audit) {
        return Rows.guard("saving a signing key", () -> Rows.inTransaction(db, tx -> {
            // Every rotation, on every instance, counts and inserts after the one before it has
            // committed: without the lock two rotations at max - 1 keys would both find room.
            tx.get("SELECT pg_advisory_xact_lock(?) IS NULL AS locked", SIGNING_KEYS_LOCK);
            List<SigningKey> stored = tx.query("SELECT kid, secret, created_at FROM signing_keys"
                    + " ORDER BY created_at DESC, kid").map(SigningKeyPersistenceAdapter::key).toList();
            if (stored.size() >= max) {
                return new Saving.Full(stored);
            }
            tx.insert("INSERT INTO signing_keys (kid, secret, created_at) VALUES (?, ?, ?)",
                    key.kid(), key.secret(), Rows.timestamp(key.createdAt()));
            AuditPersistenceAdapter.insert(tx, audit);
            return new Saving.Saved();
        }));
    }

    @Override
    public void deleteSigningKeys(java.util.Set<String> kids, AuditEntry audit) {
        Rows.guard("retiring signing keys", () -> Rows.inTransaction(db, tx -> {
            for (String kid : kids) {
                tx.delete("DELETE FROM signing_keys WHERE kid = ?", kid);
            }
            AuditPersistenceAdapter.insert(tx, audit);
            return null;
        }));
    }

    @Override
    public Optional<String> loadSecretHash(String name) {
        return Rows.guard("loading a server secret", () -> db.execute()
                .get("SELECT value_hash FROM server_secrets WHERE name = ?", name)
                .map(r -> Rows.text(r, "value_hash")));
    }

    @Override
    public boolean saveSecretHashIfAbsent(String name, String hash, Instant now) {
        return Rows.guard("saving a server secret", () -> db.execute().insert(
                "INSERT INTO server_secrets (name, value_hash, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                name, hash, Rows.timestamp(now)) == 1);
    }

    @Override
    public void saveSecretHash(String name, String hash, Instant now) {
        Rows.guard("saving a server secret", () -> db.execute().insert("""
                        INSERT INTO server_secrets (name, value_hash, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (name) DO UPDATE SET value_hash = excluded.value_hash, updated_at = excluded.updated_at""",
                name, hash, Rows.timestamp(now)));
    }
}
