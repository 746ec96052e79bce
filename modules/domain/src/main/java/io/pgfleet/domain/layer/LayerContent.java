package io.pgfleet.domain.layer;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.DocumentValue;

import java.util.Objects;

/**
 * One version of one layer, as text and parsed, ready to be merged.
 *
 * @param layer   the layer
 * @param version its version
 * @param text    the document as published
 * @param root    the parsed document
 */
public record LayerContent(LayerId layer, int version, ConfigDocument text, DocumentValue.Table root) {

    /** Requires every part and a positive version. */
    public LayerContent {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(root, "root");
        if (version < 1) {
            throw new IllegalArgumentException("layer versions start at 1");
        }
    }

    /**
     * The source name, e.g. {@code fleet@3}.
     *
     * @return the name
     */
    public String source() {
        return layer.source(version);
    }

    /**
     * Whether this layer sets at least one value (a document of comments or empty tables does not).
     *
     * @return true when some key has a value
     */
    public boolean contributes() {
        return setsValue(root);
    }

    private static boolean setsValue(DocumentValue.Table table) {
        return table.entries().values().stream()
                .anyMatch(v -> !(v instanceof DocumentValue.Table t) || setsValue(t));
    }
}
