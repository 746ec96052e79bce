package io.pgfleet.domain.config;

import io.pgfleet.domain.common.Sha256;

import java.util.regex.Pattern;

/**
 * SHA-256 of a configuration document's UTF-8 bytes, in lower-case hex. Two documents with the
 * same hash are the same document.
 *
 * @param hex 64 lower-case hex digits
 */
public record ContentHash(String hex) {

    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{64}");

    /** Requires 64 lower-case hex digits. */
    public ContentHash {
        if (hex == null || !FORMAT.matcher(hex).matches()) {
            throw new IllegalArgumentException("a content hash is 64 lower-case hex digits");
        }
    }

    /**
     * Hashes a text.
     *
     * @param text the text
     * @return its SHA-256
     */
    public static ContentHash of(String text) {
        return new ContentHash(Sha256.hex(text));
    }

    @Override
    public String toString() {
        return hex;
    }
}
