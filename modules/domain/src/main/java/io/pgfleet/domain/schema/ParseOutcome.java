package io.pgfleet.domain.schema;

import java.util.List;
import java.util.Objects;

/**
 * The result of reading a document's syntax.
 */
public sealed interface ParseOutcome {

    /**
     * The document is well-formed.
     *
     * @param root its top-level table
     */
    record Parsed(DocumentValue.Table root) implements ParseOutcome {
        /** Requires the root. */
        public Parsed {
            Objects.requireNonNull(root, "root");
        }
    }

    /**
     * The document is not well-formed.
     *
     * @param errors the syntax errors found, with positions: at most
     *               {@link Validation#MAX_REPORTED_ERRORS}, the first by position
     * @param total  how many were found in all, at least as many as are listed
     */
    record SyntaxErrors(List<ValidationError> errors, int total) implements ParseOutcome {
        /** Requires at least one error; keeps the first {@link Validation#MAX_REPORTED_ERRORS}. */
        public SyntaxErrors {
            errors = errors.stream().sorted().limit(Validation.MAX_REPORTED_ERRORS).toList();
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("a syntax failure has at least one error");
            }
            total = Math.max(total, errors.size());
        }

        /**
         * Syntax errors, all of them listed (at most {@link Validation#MAX_REPORTED_ERRORS} are kept).
         *
         * @param errors the errors
         */
        public SyntaxErrors(List<ValidationError> errors) {
            this(errors, errors.size());
        }
    }
}
