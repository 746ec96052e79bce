/**
 * Driven adapter for PostgreSQL. {@link io.pgfleet.adapter.out.postgres.PostgresStorage} opens the
 * pool and migrates the schema; the {@code …PersistenceAdapter}s implement the outgoing ports with
 * Helidon DbClient JDBC.
 */
package io.pgfleet.adapter.out.postgres;
