package io.pgfleet.domain.schema;

/**
 * Where something is in a document, 1-based.
 *
 * @param line   line number, at least 1
 * @param column column number, at least 1
 */
public record SourcePosition(int line, int column) {

    /** Positions are 1-based. */
    public SourcePosition {
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("positions are 1-based, got " + line + ":" + column);
        }
    }

    /**
     * The start of a document.
     *
     * @return line 1, column 1
     */
    public static SourcePosition start() {
        return new SourcePosition(1, 1);
    }
}
