/**
 * The HTTP API v1 of pgfleet on Helidon WebServer: routes, request parsing, problem details.
 */
module io.pgfleet.adapter.in.http {
    requires io.pgfleet.application;
    requires io.pgfleet.json;
    requires io.helidon.webserver;
    requires io.helidon.webserver.staticcontent;
    requires io.helidon.http;
    requires io.helidon.http.encoding;
    requires io.helidon.common;
    requires io.helidon.common.buffers;
    requires io.helidon.common.task;
    requires io.helidon.common.concurrency.limits;
    requires io.helidon.common.media.type;
    requires io.helidon.common.uri;
    requires jakarta.json;
    requires io.github.javadiffutils;
    requires micrometer.core;
    requires java.logging;

    exports io.pgfleet.adapter.in.http;
}
