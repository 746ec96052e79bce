/**
 * TOML adapter: {@link io.pgfleet.adapter.out.toml.TomlDocumentParser} turns a document into
 * {@link io.pgfleet.domain.schema.DocumentValue}s with line and column, or syntax errors.
 */
package io.pgfleet.adapter.out.toml;
