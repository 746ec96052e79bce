/**
 * The composition root: reads the server settings, starts the database, wires the adapters to
 * the use cases and serves the HTTP API.
 */
module io.pgfleet.server {
    requires io.pgfleet.application;
    requires io.pgfleet.adapter.in.http;
    requires io.pgfleet.adapter.out.postgres;
    requires io.pgfleet.toml;
    requires io.pgfleet.adapter.out.security;
    requires io.helidon.common.tls;
    requires io.helidon.common.pki;
    requires io.helidon.common.configurable;
    requires io.helidon.webserver;
    requires io.helidon.common.socket;
    requires io.helidon.builder.api;
    requires org.tomlj;
    requires java.net.http;
    requires micrometer.core;
    requires jdk.management;
    requires java.logging;
    requires micrometer.registry.prometheus;

    exports io.pgfleet.server;
}
