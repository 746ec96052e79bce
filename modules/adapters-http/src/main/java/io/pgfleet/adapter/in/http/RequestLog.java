package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.pgfleet.domain.access.Principal;
import jakarta.json.Json;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * One log line per request (method, route template, status, duration, principal, request id), and a
 * request id an operator can follow across instances: taken from the caller's {@code X-Request-Id}
 * when it is a plain token of at most 64 characters, made up otherwise, echoed in the response's
 * {@code X-Request-Id} and in every problem body as {@code request_id}. The line is JSON when the
 * environment sets {@code PGFLEET_LOG_FORMAT=json}, text otherwise.
 */
final class RequestLog {

    static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    /** Only ids that cannot forge a log line or a header are kept from the caller. */
    private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final System.Logger LOG = System.getLogger("io.pgfleet.http.requests");
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private final boolean json;

    RequestLog(boolean json) {
        this.json = json;
    }

    /** The log format the environment asks for. */
    static RequestLog fromEnvironment() {
        return new RequestLog("json".equalsIgnoreCase(System.getenv().getOrDefault("PGFLEET_LOG_FORMAT", "")));
    }

    /** The id of the request being handled on this thread, for problem bodies. */
    static Optional<String> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** One request's line: a JSON object, or words for a person reading the log. */
    String line(String method, String route, int status, long micros, String principal, String id) {
        return json
                ? Json.createObjectBuilder().add("event", "request").add("method", method).add("route", route)
                        .add("status", status).add("duration_ms", micros / 1000.0).add("principal", principal)
                        .add("request_id", id).build().toString()
                : method + " " + route + " " + status + " " + (micros / 1000.0) + " ms principal=" + principal
                        + " request_id=" + id;
    }

    Filter filter() {
        return (FilterChain chain, RoutingRequest req, RoutingResponse res) -> {
            long start = System.nanoTime();
            String id = req.headers().first(REQUEST_ID).filter(v -> ACCEPTED.matcher(v).matches())
                    .orElseGet(RequestLog::newId);
            CURRENT.set(id);
            res.header(REQUEST_ID, id);
            res.whenSent(() -> {
                CURRENT.remove();
                String route = req.context().get(ApiRoutes.DeclaredRoute.class).map(ApiRoutes.DeclaredRoute::template)
                        .orElse(HttpMetrics.OTHER);
                String method = req.prologue().method().text();
                method = HttpMetrics.METHODS.contains(method) ? method : HttpMetrics.OTHER;
                String principal = req.context().get(Principal.class).map(Principal::subject).orElse("-");
                long micros = (System.nanoTime() - start) / 1000;
                int status = res.status().code();
                if (LOG.isLoggable(System.Logger.Level.INFO)) {
                    LOG.log(System.Logger.Level.INFO, line(method, route, status, micros, principal, id));
                }
            });
            chain.proceed();
        };
    }

    /**
     * A new request id in the form of a random (version 4) UUID. It names a request in logs, it is no
     * secret: drawn from the thread's own generator rather than the shared secure one, whose lock
     * every request would otherwise take.
     */
    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
