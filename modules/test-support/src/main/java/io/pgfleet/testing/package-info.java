/**
 * Real PostgreSQL for tests: {@link io.pgfleet.testing.TestPostgres} starts one embedded server
 * per test JVM (or uses {@code PGFLEET_TEST_DB_URL}) and hands each test class a fresh, migrated
 * database.
 */
package io.pgfleet.testing;
