package io.pgfleet.domain.layer;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of merging a collector's layers.
 */
public sealed interface Composition {

    /**
     * The layers merge into a valid configuration.
     *
     * @param document   the effective document, empty when no layer exists at all
     * @param sources    the layer versions merged, in apply order (e.g. {@code fleet@3})
     * @param keys       every schema key, in schema order, with its value and source
     * @param effective  what the agent runs on
     */
    record Composed(Optional<ConfigDocument> document, List<String> sources, Map<String, KeySource> keys,
                    EffectiveConfig effective) implements Composition {
        /** Copies the lists. */
        public Composed {
            Objects.requireNonNull(document, "document");
            sources = List.copyOf(sources);
            keys = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(keys));
            Objects.requireNonNull(effective, "effective");
        }
    }

    /**
     * The merged configuration breaks the schema.
     *
     * @param errors every problem, each naming the layer it comes from
     */
    record Invalid(List<LayerError> errors) implements Composition {
        /** Requires at least one error. */
        public Invalid {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("an invalid composition has at least one error");
            }
        }
    }
}
