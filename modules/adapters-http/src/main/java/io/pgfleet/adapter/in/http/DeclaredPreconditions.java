package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import jakarta.json.JsonObject;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The routes that honour {@code If-Match}, as the API's description ({@code openapi.json})
 * declares them: the publishes and rollbacks of a versioned document. Any other route that changes
 * something refuses a request carrying {@code If-Match} with {@code 400} naming the header.
 *
 * <p>Ignored, the header promised a protection the route does not give: a {@code PATCH} of a
 * group or of a collector's labels, a group's {@code DELETE} or a rollout's start with a stale
 * {@code If-Match} was carried out as if it had none, over whatever someone else had changed
 * meanwhile. These resources have no entity tag to compare with, so the condition could never be
 * evaluated (RFC 9110 §13.1.1); the client is told instead of being answered as if it held. Reads
 * ({@code GET}) are not concerned: they change nothing whatever the condition.
 */
final class DeclaredPreconditions {

    /** Loaded once: the description is a resource of this module. */
    private static final DeclaredPreconditions API = load();

    private final Set<String> ifMatchRoutes;

    private DeclaredPreconditions(Set<String> ifMatchRoutes) {
        this.ifMatchRoutes = Set.copyOf(ifMatchRoutes);
    }

    /** The routes of the API's description. */
    static DeclaredPreconditions api() {
        return API;
    }

    /**
     * Whether a route evaluates {@code If-Match}.
     *
     * @param method   e.g. {@code PUT}
     * @param template e.g. {@code /api/v1/config/{id}}
     * @return true when the description declares the header for it
     */
    boolean takesIfMatch(String method, String template) {
        return ifMatchRoutes.contains(DeclaredOperations.key(method, template));
    }

    /**
     * Refuses a request that would change something carrying {@code If-Match} on a route that does
     * not evaluate it.
     *
     * @param req         the request
     * @param method      the route's method
     * @param template    the route's template
     * @param takesIfMatch what {@link #takesIfMatch} says of the route (looked up once when the route is declared)
     * @throws ApiException 400 naming the header and the route
     */
    static void check(ServerRequest req, Method method, String template, boolean takesIfMatch) {
        if (takesIfMatch || Method.GET.equals(method) || !req.headers().contains(HeaderNames.IF_MATCH)) {
            return;
        }
        throw new ApiException(Problem.badRequest(method.text() + " " + template + " does not take If-Match: what it changes"
                + " has no entity tag to compare with, so the change would be made whatever the tag; nothing was"
                + " changed. Send it without If-Match (only publishes and rollbacks of a configuration or layer take it)"));
    }

    private static DeclaredPreconditions load() {
        return parse(DeclaredOperations.api());
    }

    /** The operations whose parameters (their own or their path's, references resolved) include the header If-Match. */
    static DeclaredPreconditions parse(JsonObject api) {
        Set<String> routes = new HashSet<>();
        DeclaredOperations.parameters(api).forEach((route, parameters) -> {
            if (parameters.stream().anyMatch(parameter -> "header".equals(parameter.getString("in", ""))
                    && "if-match".equals(parameter.getString("name", "").toLowerCase(Locale.ROOT)))) {
                routes.add(route);
            }
        });
        return new DeclaredPreconditions(routes);
    }
}
