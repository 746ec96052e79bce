package io.pgfleet.domain.access;

import java.time.Instant;
import java.util.Objects;

/**
 * A person who operates the fleet. The password is kept only as a salted, slow hash.
 *
 * @param username     login name
 * @param role         a human role
 * @param enabled      false once disabled: existing tokens stop working
 * @param passwordHash the encoded hash (algorithm, parameters, salt, digest)
 * @param createdAt    when the user was created
 */
public record User(Username username, Role role, boolean enabled, String passwordHash, Instant createdAt) {

    /** The shortest password accepted. */
    public static final int MIN_PASSWORD_LENGTH = 12;
    /** The longest password accepted (in characters; its hash costs the same whatever its length). */
    public static final int MAX_PASSWORD_LENGTH = 1024;

    /** Requires a human role and a hash. */
    public User {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(passwordHash, "passwordHash");
        Objects.requireNonNull(createdAt, "createdAt");
        if (!role.isHuman()) {
            throw new IllegalArgumentException("users hold admin, operator or viewer, not collector");
        }
    }

    /**
     * Checks a new password against the policy.
     *
     * @param password the candidate
     * @throws IllegalArgumentException when it is too short or too long
     */
    public static void checkPassword(String password) {
        // Characters are code points, as every other length of the API counts them: String.length()
        // counts UTF-16 units, so six emoji passed for twelve characters.
        int characters = password == null ? 0 : password.codePointCount(0, password.length());
        if (characters < MIN_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("a password has at least " + MIN_PASSWORD_LENGTH + " characters");
        }
        if (characters > MAX_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("a password has at most " + MAX_PASSWORD_LENGTH + " characters");
        }
    }

    /**
     * The principal this user acts as.
     *
     * @return the principal
     */
    public Principal principal() {
        return new Principal(username.value(), role);
    }
}
