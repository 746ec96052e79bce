package io.pgfleet.domain.config;

import java.nio.charset.StandardCharsets;

/**
 * The TOML text of a collector configuration exactly as the operator published it.
 *
 * @param text the document, not blank and at most {@link #MAX_BYTES} bytes of UTF-8
 */
public record ConfigDocument(String text) {

    /** The largest document accepted: 256 KiB. */
    public static final int MAX_BYTES = 256 * 1024;

    /** Rejects blank and oversized documents. */
    public ConfigDocument {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a configuration document must not be empty");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalArgumentException("a configuration document must be at most " + MAX_BYTES + " bytes");
        }
    }

    /**
     * The hash that identifies this document's content.
     *
     * @return SHA-256 of the text
     */
    public ContentHash hash() {
        return ContentHash.of(text);
    }
}
