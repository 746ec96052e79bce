package io.pgfleet.domain.schema;

import java.util.List;
import java.util.Objects;

/**
 * The verdict on a configuration document.
 */
public sealed interface Validation {

    /**
     * The document can be applied.
     *
     * @param effective what an agent would run on
     */
    record Valid(EffectiveConfig effective) implements Validation {
        /** Requires the configuration. */
        public Valid {
            Objects.requireNonNull(effective, "effective");
        }
    }

    /**
     * The document cannot be applied.
     *
     * @param errors every problem found, ordered by position
     */
    record Invalid(List<ValidationError> errors) implements Validation {
        /** Requires at least one error; sorts them. */
        public Invalid {
            errors = errors.stream().sorted().toList();
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("an invalid document has at least one error");
            }
        }
    }
}
