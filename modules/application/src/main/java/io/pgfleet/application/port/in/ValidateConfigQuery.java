package io.pgfleet.application.port.in;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.Validation;

/**
 * Dry-run validation of a configuration document: nothing is stored.
 */
public interface ValidateConfigQuery {

    /**
     * Checks a document exactly as a publish would.
     *
     * @param document the TOML document
     * @return valid with the effective configuration, or every error
     */
    Validation validate(ConfigDocument document);
}
