package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ValidateConfigQuery;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.Validation;

final class ValidateConfigService implements ValidateConfigQuery {

    private final DocumentValidator validator;

    ValidateConfigService(DocumentValidator validator) {
        this.validator = validator;
    }

    @Override
    public Validation validate(ConfigDocument document) {
        return validator.validate(document);
    }
}
