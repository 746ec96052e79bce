package io.pgfleet.domain.config;

import java.util.Objects;

/**
 * The strong entity tag of a revision, derived from its version and content hash, so that a tag
 * names exactly one revision of one history: {@code "7-9f86d081884c7d65"}.
 *
 * @param value the opaque tag without quotes
 */
public record EntityTag(String value) {

    /** Requires a non-blank value without quotes. */
    public EntityTag {
        Objects.requireNonNull(value, "value");
        if (value.isBlank() || value.contains("\"")) {
            throw new IllegalArgumentException("an entity tag is a non-empty text without quotes");
        }
    }

    /**
     * The tag of a revision.
     *
     * @param version its version
     * @param hash    its content hash
     * @return the tag
     */
    public static EntityTag of(ConfigVersion version, ContentHash hash) {
        return new EntityTag(version.value() + "-" + hash.hex().substring(0, 16));
    }

    /**
     * The tag as an HTTP header value, quoted.
     *
     * @return {@code "value"} with the quotes
     */
    public String quoted() {
        return '"' + value + '"';
    }
}
