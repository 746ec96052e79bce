/**
 * Real PostgreSQL for tests: {@link io.pgfleet.testing.TestPostgres} starts one embedded server
 * per test JVM (or uses {@code PGFLEET_TEST_DB_URL}) and hands each test class a fresh, migrated
 * database. {@link io.pgfleet.testing.PathPrefixProxy} puts a server under a reverse proxy's path
 * prefix.
 */
package io.pgfleet.testing;
