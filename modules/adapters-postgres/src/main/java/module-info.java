/**
 * PostgreSQL storage for pgfleet: the persistence adapters of the application's outgoing ports,
 * schema migrations, and the embedded PostgreSQL used when no database is configured.
 */
module io.pgfleet.adapter.out.postgres {
    requires io.pgfleet.application;
    requires io.pgfleet.json;
    requires io.helidon.dbclient;
    requires io.helidon.config;
    requires io.helidon.common.config;
    requires java.sql;
    requires java.management;
    requires jakarta.json;
    requires flyway.core;
    requires embedded.postgres;
    requires org.postgresql.jdbc;

    exports io.pgfleet.adapter.out.postgres;
}
