package io.pgfleet.application.port.in;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A client's name for one operation it may send more than once (its {@code Idempotency-Key}
 * header): a retry carrying the same key is the same operation, not a new one.
 *
 * @param value 16 to 128 characters of {@code A-Z a-z 0-9 _ -} (a random base64url value, say)
 */
public record IdempotencyKey(String value) {

    /** Fewest characters: short keys could collide between agents. */
    public static final int MIN_LENGTH = 16;
    /** Most characters. */
    public static final int MAX_LENGTH = 128;

    private static final Pattern SYNTAX = Pattern.compile("[A-Za-z0-9_-]{" + MIN_LENGTH + "," + MAX_LENGTH + "}");

    /** Requires the syntax. */
    public IdempotencyKey {
        Objects.requireNonNull(value, "value");
        if (!SYNTAX.matcher(value).matches()) {
            throw new IllegalArgumentException("an idempotency key is " + MIN_LENGTH + " to " + MAX_LENGTH
                    + " characters of A-Z, a-z, 0-9, '_' or '-'");
        }
    }

    @Override
    public String toString() {
        // Half of what makes a retry return a collector's tokens: never in a log.
        return "IdempotencyKey[***]";
    }
}
