/**
 * The demo behind {@code ./pgfleet demo}: a tool that starts the server on its embedded
 * PostgreSQL and an agent process, publishes twice and narrates the hot reload. Not part of the
 * server jar's production code.
 */
module io.pgfleet.demo {
    requires io.pgfleet.server;
    requires io.pgfleet.adapter.out.postgres;
    requires java.net.http;
    requires java.logging;
}
