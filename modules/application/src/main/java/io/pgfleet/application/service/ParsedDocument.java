package io.pgfleet.application.service;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ParseOutcome;

/**
 * A document and what parsing it gave, handed from the validation of a request to the merge that
 * follows, so that the document is parsed once.
 *
 * @param document the document
 * @param outcome  its parse
 */
record ParsedDocument(ConfigDocument document, ParseOutcome outcome) {
}
