package io.pgfleet.application.port.out;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ParseOutcome;

/**
 * Reads the syntax of a configuration document into the domain's typed tree.
 */
public interface ParseConfigDocumentPort {

    /**
     * Parses a document.
     *
     * @param document the TOML text
     * @return the tree, or every syntax error with its position
     * @throws DocumentParsingBusyException when an implementation bounds how many documents are
     *                                      parsed at once and too many wait already
     */
    ParseOutcome parse(ConfigDocument document);
}
