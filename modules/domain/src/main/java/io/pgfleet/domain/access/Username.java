package io.pgfleet.domain.access;

import java.util.regex.Pattern;

/**
 * A user's login name: 1 to 64 lower-case letters, digits, {@code .}, {@code _}, {@code -} or {@code @}.
 *
 * @param value the name
 */
public record Username(String value) {

    private static final Pattern FORMAT = Pattern.compile("[a-z0-9][a-z0-9._@-]{0,63}");

    /** Rejects malformed names. */
    public Username {
        if (value == null || !FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException("a user name is 1-64 lower-case letters, digits, '.', '_', '-' or '@'");
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
