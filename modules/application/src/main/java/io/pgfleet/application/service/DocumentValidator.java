package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.Validation;

/** Syntax through the parser port, then the domain's schema: the one way every use case validates. */
final class DocumentValidator {

    private final ParseConfigDocumentPort parser;

    DocumentValidator(ParseConfigDocumentPort parser) {
        this.parser = parser;
    }

    Validation validate(ConfigDocument document) {
        return ConfigValidator.validate(parser.parse(document));
    }
}
