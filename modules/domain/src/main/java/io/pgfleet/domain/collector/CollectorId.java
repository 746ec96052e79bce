package io.pgfleet.domain.collector;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The identity of a collector: 1 to 64 characters, letters, digits, {@code .}, {@code _} and
 * {@code -}, starting with a letter or digit. Safe in a URL path segment and a file name.
 *
 * @param value the identifier text
 */
public record CollectorId(String value) {

    private static final Pattern FORMAT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Rejects anything that is not a well-formed collector id. */
    public CollectorId {
        if (value == null || !FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "collector id must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    /**
     * Parses untrusted input.
     *
     * @param text the candidate id
     * @return the id
     * @throws IllegalArgumentException when the text is not a valid id
     */
    public static CollectorId of(String text) {
        return new CollectorId(text);
    }

    /**
     * Whether a text would be accepted as a collector id.
     *
     * @param text the candidate
     * @return true when {@link #of(String)} accepts it
     */
    public static boolean isValid(String text) {
        return text != null && FORMAT.matcher(text).matches();
    }

    /**
     * A fresh random id, for collectors that register without choosing one.
     *
     * @return a new id
     */
    public static CollectorId random() {
        return new CollectorId(UUID.randomUUID().toString());
    }

    @Override
    public String toString() {
        return value;
    }
}
