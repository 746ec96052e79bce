package io.pgfleet.domain.layer;

import java.util.regex.Pattern;

/**
 * The identity of a group: 1 to 64 characters, letters, digits, {@code .}, {@code _} and
 * {@code -}, starting with a letter or digit (the same rule as collector ids).
 *
 * @param value the identifier text
 */
public record GroupId(String value) {

    private static final Pattern FORMAT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Rejects anything that is not a well-formed group id. */
    public GroupId {
        if (value == null || !FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "group id must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
