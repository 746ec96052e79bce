package io.pgfleet.application.port.out;

import java.time.Instant;
import java.util.Optional;

/**
 * Hashes of server-wide secrets (the registration secret), shared by every instance.
 */
public interface ServerSecretPort {

    /**
     * The hash of a secret.
     *
     * @param name the secret's name
     * @return its SHA-256 hex, or empty when none is set
     */
    Optional<String> loadSecretHash(String name);

    /**
     * Sets a secret's hash unless one is set already.
     *
     * @param name the secret's name
     * @param hash its SHA-256 hex
     * @param now  the time
     * @return true when set, false when one existed
     */
    boolean saveSecretHashIfAbsent(String name, String hash, Instant now);

    /**
     * Sets a secret's hash, replacing any.
     *
     * @param name the secret's name
     * @param hash its SHA-256 hex
     * @param now  the time
     */
    void saveSecretHash(String name, String hash, Instant now);
}
