package io.pgfleet.application.service;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.Validation;

import java.util.Objects;
import java.util.Optional;

/**
 * A document and what parsing (and, when done, validating) it gave, handed from the validation of
 * a request to the merge that follows, so that the document is parsed once, and validated once
 * when no other layer changes it.
 *
 * @param document   the document
 * @param outcome    its parse
 * @param validation its validation as a whole document, if done
 */
record ParsedDocument(ConfigDocument document, ParseOutcome outcome, Optional<Validation> validation) {

    /** All are required. */
    ParsedDocument {
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(validation, "validation");
    }

    /**
     * A document and its parse, not validated.
     *
     * @param document the document
     * @param outcome  its parse
     */
    ParsedDocument(ConfigDocument document, ParseOutcome outcome) {
        this(document, outcome, Optional.empty());
    }
}
