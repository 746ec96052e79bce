package io.pgfleet.domain.layer;

import java.util.Objects;

/**
 * One key of an effective configuration: its value and where it comes from.
 *
 * @param value  the value (Long, Boolean, String or List of String)
 * @param source {@code default}, or the layer version that set it, e.g. {@code group/prod-eu@7}
 */
public record KeySource(Object value, String source) {

    /** The source of a key no layer sets. */
    public static final String DEFAULT = "default";

    /** Requires both. */
    public KeySource {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(source, "source");
    }
}
