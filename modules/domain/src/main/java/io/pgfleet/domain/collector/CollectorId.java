package io.pgfleet.domain.collector;

import java.util.UUID;

/**
 * The identity of a collector: 1 to 64 characters, letters, digits, {@code .}, {@code _} and
 * {@code -}, starting with a letter or digit. Safe in a URL path segment and a file name.
 *
 * @param value the identifier text
 */
public record CollectorId(String value) {

    /** Longest id accepted. */
    private static final int MAX_LENGTH = 64;

    /** Rejects anything that is not a well-formed collector id. */
    public CollectorId {
        if (!isValid(value)) {
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
        // [A-Za-z0-9][A-Za-z0-9._-]{0,63}, checked by hand: every configuration read checks an id
        // from its path, and a regular expression allocated a matcher and its state each time.
        if (text == null || text.isEmpty() || text.length() > MAX_LENGTH || !letterOrDigit(text.charAt(0))) {
            return false;
        }
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!letterOrDigit(c) && c != '.' && c != '_' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** ASCII letters and digits only (not {@link Character#isLetterOrDigit}, which accepts any script). */
    private static boolean letterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
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
