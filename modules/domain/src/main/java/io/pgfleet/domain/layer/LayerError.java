package io.pgfleet.domain.layer;

import io.pgfleet.domain.schema.ValidationError;

import java.util.Objects;

/**
 * A validation error located in one layer's document.
 *
 * @param layer the layer version it is in, e.g. {@code fleet@3} (a pending change is named by the
 *              version it would get)
 * @param error the error, with line and column in that layer's document
 */
public record LayerError(String layer, ValidationError error) {

    /** Requires both. */
    public LayerError {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(error, "error");
    }

    @Override
    public String toString() {
        return layer + " " + error;
    }
}
