package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ValidateConfigQuery;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.Validation;

/**
 * Syntax through the parser port, then the domain's schema: the one way every use case validates,
 * and the dry-run validation use case itself.
 */
final class DocumentValidator implements ValidateConfigQuery {

    private final ParseConfigDocumentPort parser;

    DocumentValidator(ParseConfigDocumentPort parser) {
        this.parser = parser;
    }

    @Override
    public Validation validate(ConfigDocument document) {
        // What a new version is held to: a dry run answers as the publish will, a rollback is a new version.
        return ConfigValidator.validateNew(document.text(), parser.parse(document));
    }

    /**
     * Parses a document, for a caller that validates it ({@link ConfigValidator#validate}) and then
     * hands the parse on, so that the document is not parsed again.
     */
    ParseOutcome parse(ConfigDocument document) {
        return parser.parse(document);
    }
}
