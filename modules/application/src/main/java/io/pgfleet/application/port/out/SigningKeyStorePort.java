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
     * Stores a new key, which becomes the newest, with the audit entry of its creation, unless
     * {@code max} keys are stored already. The count and the insert are one step for every instance
     * on the database: two rotations never both see room for one more key.
     *
     * @param key   the key
     * @param max   how many keys may be stored at most, the new one included
     * @param audit the audit entry, stored only with the key
     * @return saved, or refused with the keys stored (newest first) and nothing changed
     */
    Saving saveSigningKeyIfFewer(SigningKey key, int max, AuditEntry audit);

    /**
     * Deletes retired keys for good, so that a leaked old key mints nothing.
     *
     * @param kids  the key ids
     * @param audit the audit entry
     */
    void deleteSigningKeys(java.util.Set<String> kids, AuditEntry audit);

    /** The outcome of {@link #saveSigningKeyIfFewer}. */
    sealed interface Saving {
        /** The key is stored. */
        record Saved() implements Saving {
        }

        /**
         * Refused, nothing stored: the store held its most keys already.
         *
         * @param keys the keys it holds, newest first
         */
        record Full(List<SigningKey> keys) implements Saving {
            /** Copies the keys. */
            public Full {
                keys = List.copyOf(keys);
            }
        }
    }

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
