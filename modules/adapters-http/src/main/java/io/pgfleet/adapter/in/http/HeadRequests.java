package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.List;
import java.util.Objects;

/**
 * Answers {@code HEAD} outside the console's files and the routes that take it (the health checks):
 * {@code 405} with {@code Allow} on a path the API has, {@code 404} elsewhere, and never a body.
 *
 * <p>No API route takes {@code HEAD}, so Helidon answered it as any other method a path does not
 * take, with a problem document: a body in the answer to a {@code HEAD}, which a client does not
 * read (RFC 9110 §9.3.2) and so takes for the start of the next answer on the connection. The
 * console's static files answer {@code HEAD} as {@code GET} without the body themselves.
 */
final class HeadRequests implements Filter {

    private volatile ApiRoutes routes;

    /** The route table, once it is built (the filter is added before the routes, to run first). */
    void routes(ApiRoutes routes) {
        this.routes = Objects.requireNonNull(routes, "routes");
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().absolute().path();
        if (req.prologue().method() != Method.HEAD || path.startsWith(WebConsole.PATH + "/")) {
            chain.proceed();
            return;
        }
        List<String> allowed = routes.methodsOf(path);
        if (allowed.contains(Method.HEAD.text())) {
            chain.proceed(); // a route that answers HEAD itself (the health checks)
            return;
        }
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (allowed.isEmpty()) {
            res.status(Status.NOT_FOUND_404);
        } else {
            res.status(Status.METHOD_NOT_ALLOWED_405);
            res.header(HeaderNames.ALLOW, String.join(", ", allowed));
        }
        res.send();
    }
}
