package io.pgfleet.domain.config;

import java.nio.charset.StandardCharsets;

/**
 * The TOML text of a collector configuration exactly as the operator published it; two documents
 * are equal when their texts are.
 *
 * <p>A value class rather than a record so that it can remember its hash: every revision that
 * holds a document checks that its hash matches it, and a layer change reaching thousands of
 * collectors shares a few document instances among all of them (read once per distinct content,
 * rendered once per distinct layer stack), so each instance is hashed once instead of once per
 * collector and per answer.
 */
public final class ConfigDocument {

    /** The largest document accepted: 256 KiB. */
    public static final int MAX_BYTES = 256 * 1024;

    private final String text;
    // Computed on first use; a race computes the same value twice, which is harmless.
    private ContentHash hash;

    /**
     * Rejects blank and oversized documents.
     *
     * @param text the document, not blank and at most {@link #MAX_BYTES} bytes of UTF-8
     */
    public ConfigDocument(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a configuration document must not be empty");
        }
        // A UTF-8 character is at most 3 bytes per UTF-16 unit: only a long text needs encoding to be measured.
        if (text.length() * 3L > MAX_BYTES && text.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalArgumentException("a configuration document must be at most " + MAX_BYTES + " bytes");
        }
        this.text = text;
    }

    /**
     * The document's text.
     *
     * @return the TOML text as published
     */
    public String text() {
        return text;
    }

    /**
     * The hash that identifies this document's content.
     *
     * @return SHA-256 of the text, computed once per instance
     */
    public ContentHash hash() {
        ContentHash h = hash;
        if (h == null) {
            h = ContentHash.of(text);
            hash = h;
        }
        return h;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfigDocument d && d.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return "ConfigDocument[text=" + text + "]";
    }
}
