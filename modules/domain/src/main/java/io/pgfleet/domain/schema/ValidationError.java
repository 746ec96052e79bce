package io.pgfleet.domain.schema;

import java.util.Objects;

/**
 * One reason a configuration document cannot be accepted.
 *
 * @param line    1-based line of the offending key or syntax error
 * @param column  1-based column
 * @param key     the dotted key ({@code collectors.pg_stats.interval}), empty for syntax errors
 * @param message what is wrong and what is expected, in an operator's words
 */
public record ValidationError(int line, int column, String key, String message) implements Comparable<ValidationError> {

    /** Requires a position and a message. */
    public ValidationError {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(message, "message");
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("positions are 1-based");
        }
    }

    /**
     * An error at a position.
     *
     * @param at      where
     * @param key     the dotted key
     * @param message what is wrong
     * @return the error
     */
    public static ValidationError at(SourcePosition at, String key, String message) {
        return new ValidationError(at.line(), at.column(), key, message);
    }

    @Override
    public int compareTo(ValidationError o) {
        int c = Integer.compare(line, o.line);
        return c != 0 ? c : Integer.compare(column, o.column);
    }

    @Override
    public String toString() {
        return "line " + line + ", column " + column + (key.isEmpty() ? "" : ", " + key) + ": " + message;
    }
}
