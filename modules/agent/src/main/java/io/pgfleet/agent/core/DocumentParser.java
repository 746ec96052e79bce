package io.pgfleet.agent.core;

import io.pgfleet.domain.schema.ParseOutcome;

/**
 * Reads a configuration document's text into the domain's document values (TOML, adapted).
 */
public interface DocumentParser {

    /**
     * Parses.
     *
     * @param text the document
     * @return the values, or the syntax errors
     */
    ParseOutcome parse(String text);
}
