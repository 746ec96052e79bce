package io.pgfleet.application.port.out;

/**
 * Slow, salted password hashing.
 */
public interface PasswordHasherPort {

    /**
     * Hashes a password with a fresh salt.
     *
     * @param password the password
     * @return the encoded hash, carrying its algorithm and parameters
     * @throws PasswordHashingBusyException when every hashing slot is taken
     */
    String hash(String password);

    /**
     * Checks a password against an encoded hash, in time independent of where they differ.
     *
     * @param password the candidate
     * @param encoded  a hash from {@link #hash}
     * @return true when the password matches
     * @throws PasswordHashingBusyException when every hashing slot is taken
     */
    boolean verify(String password, String encoded);

    /**
     * As {@link #verify}, for a login from where its user logged in before: on slots of its own, so a
     * flood of attempts from other addresses, which keeps the shared slots full, does not hold the
     * user off. Without such slots it is {@link #verify}.
     *
     * @param password the candidate
     * @param encoded  a hash from {@link #hash}
     * @return true when the password matches
     * @throws PasswordHashingBusyException when the reserved slots are taken too
     */
    default boolean verifyKnown(String password, String encoded) {
        return verify(password, encoded);
    }
}
