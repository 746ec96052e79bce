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
     * @param errors every syntax error found, with positions
     */
    record SyntaxErrors(List<ValidationError> errors) implements ParseOutcome {
        /** Requires at least one error. */
        public SyntaxErrors {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("a syntax failure has at least one error");
            }
        }
    }
}
