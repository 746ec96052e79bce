/**
 * Test fixtures shared by the integration tests: a real PostgreSQL per test JVM.
 */
module io.pgfleet.testing {
    requires java.sql;
    requires embedded.postgres;
    requires flyway.core;
    requires org.postgresql.jdbc;

    exports io.pgfleet.testing;
}
