/**
 * The pgfleet agent: runs on a database host, collects PostgreSQL and host metrics, pushes them to
 * the server and applies configuration changes without restarting.
 */
module io.pgfleet.agent {
    requires io.pgfleet.application;
    requires io.pgfleet.toml;
    requires io.pgfleet.json;
    requires org.tomlj;
    requires io.helidon.webclient;
    requires io.helidon.webclient.api;
    requires io.helidon.http;
    requires io.helidon.common;
    requires io.helidon.common.tls;
    requires io.helidon.common.pki;
    requires io.helidon.common.configurable;
    requires jakarta.json;
    requires java.sql;
    requires org.postgresql.jdbc;
    requires jdk.unsupported;
    requires jdk.httpserver;
    requires micrometer.core;
    requires micrometer.registry.prometheus;

    exports io.pgfleet.agent;
    exports io.pgfleet.agent.core;
    // The fleet simulator runs thousands of cores on the agent's real HTTP adapter.
    exports io.pgfleet.agent.transport to io.pgfleet.bench;
}
