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
     * At most this many errors of one document are reported, the first by position; the others are
     * only counted. A document of thousands of wrong keys (the body limit allows ~30,000) would
     * otherwise make every check answer megabytes, and a few parallel checks exhaust the heap.
     */
    int MAX_REPORTED_ERRORS = 100;

    /**
     * The document cannot be applied.
     *
     * @param errors the problems found, ordered by position: the first {@link #MAX_REPORTED_ERRORS}
     * @param total  how many problems were found in all, at least as many as are listed
     */
    record Invalid(List<ValidationError> errors, int total) implements Validation {
        /** Requires at least one error; sorts them and keeps the first {@link #MAX_REPORTED_ERRORS}. */
        public Invalid {
            errors = errors.stream().sorted().limit(MAX_REPORTED_ERRORS).toList();
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("an invalid document has at least one error");
            }
            total = Math.max(total, errors.size());
        }

        /**
         * Every problem found, all of them listed (at most {@link #MAX_REPORTED_ERRORS} are kept).
         *
         * @param errors the problems
         */
        public Invalid(List<ValidationError> errors) {
            this(errors, errors.size());
        }
    }
}
