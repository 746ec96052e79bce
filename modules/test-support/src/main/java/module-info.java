/**
 * Test fixtures shared by the integration tests: a real PostgreSQL per test JVM, and a reverse
 * proxy that serves a server under a path prefix.
 */
module io.pgfleet.testing {
    requires java.sql;
    requires embedded.postgres;
    requires flyway.core;
    requires org.postgresql.jdbc;
    requires java.net.http;
    requires jdk.httpserver;

    exports io.pgfleet.testing;
}
