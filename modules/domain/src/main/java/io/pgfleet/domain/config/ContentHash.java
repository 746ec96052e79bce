package io.pgfleet.domain.config;

import io.pgfleet.domain.common.Sha256;


/**
 * SHA-256 of a configuration document's UTF-8 bytes, in lower-case hex. Two documents with the
 * same hash are the same document.
 *
 * @param hex 64 lower-case hex digits
 */
public record ContentHash(String hex) {

    /** Requires 64 lower-case hex digits. */
    public ContentHash {
        if (hex == null || !isHex64(hex)) {
            throw new IllegalArgumentException("a content hash is 64 lower-case hex digits");
        }
    }

    // A loop rather than a regular expression: hashes are checked for every row read, thousands per layer change.
    private static boolean isHex64(String hex) {
        if (hex.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = hex.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
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
