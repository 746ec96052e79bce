/**
 * TOML adapter: {@link io.pgfleet.toml.TomlDocumentParser} turns a document into
 * {@link io.pgfleet.domain.schema.DocumentValue}s with line and column, or syntax errors.
 */
package io.pgfleet.toml;
