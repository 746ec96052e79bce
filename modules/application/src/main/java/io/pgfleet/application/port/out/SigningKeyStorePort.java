package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The token signing keys shared by every server instance on one database.
 */
public interface SigningKeyStorePort {

    /**
     * Every key, newest first: the newest signs, all verify.
     *
     * @return the keys
     */
    List<SigningKey> loadSigningKeys();

    /**
     * Stores a new key, which becomes the newest, with the audit entry of its creation.
     *
     * @param key   the key
     * @param audit the audit entry
     */
    void saveSigningKey(SigningKey key, AuditEntry audit);

    /**
     * Deletes retired keys for good, so that a leaked old key mints nothing.
     *
     * @param kids  the key ids
     * @param audit the audit entry
     */
    void deleteSigningKeys(java.util.Set<String> kids, AuditEntry audit);

    /**
     * An HMAC key with its id.
     *
     * @param kid       key id, carried in every token it signs
     * @param secret    base64url of the key bytes
     * @param createdAt when it was made
     */
    record SigningKey(String kid, String secret, Instant createdAt) {
        /** Requires every part. */
        public SigningKey {
            Objects.requireNonNull(kid, "kid");
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(createdAt, "createdAt");
        }

        @Override
        public String toString() {
            return "SigningKey[kid=" + kid + ", createdAt=" + createdAt + "]";
        }
    }
}
