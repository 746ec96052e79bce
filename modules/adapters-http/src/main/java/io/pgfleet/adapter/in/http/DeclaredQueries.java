package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.domain.common.ShownText;
import jakarta.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The query parameters each route takes, as the API's description ({@code openapi.json}) declares
 * them: a parameter a route does not take is refused with {@code 400} naming it and those it does
 * take. Ignored, a typo ({@code ?limt=1}) or a filter the route does not have ({@code ?until=})
 * would be answered as if it were not there — everything, or samples after the date meant as
 * the end. The description is the one list: a parameter a handler reads must be declared there
 * (the conformance test exercises every route through it), so the two cannot drift apart.
 */
final class DeclaredQueries {

    /** Loaded once: the description is a resource of this module. */
    private static final DeclaredQueries API = load();

    private final Map<String, Set<String>> byRoute;

    private DeclaredQueries(Map<String, Set<String>> byRoute) {
        this.byRoute = Map.copyOf(byRoute);
    }

    /** The parameters of the API's description. */
    static DeclaredQueries api() {
        return API;
    }

    /**
     * The query parameters a route takes.
     *
     * @param method   e.g. {@code GET}
     * @param template e.g. {@code /api/v1/config/{id}}
     * @return the names, or empty when the description does not know the route (it is then not checked)
     */
    Optional<Set<String>> of(String method, String template) {
        return Optional.ofNullable(byRoute.get(DeclaredOperations.key(method, template)));
    }

    /**
     * Refuses a request naming a query parameter its route does not take.
     *
     * @param req      the request
     * @param method   the route's method
     * @param template the route's template
     * @param taken    what the route takes ({@link #of}, looked up once when the route is declared)
     * @throws ApiException 400 naming the parameter
     */
    static void check(ServerRequest req, String method, String template, Optional<Set<String>> taken) {
        if (taken.isEmpty() || req.query().rawValue().isEmpty()) {
            return;
        }
        for (String name : req.query().names()) {
            if (!taken.get().contains(name)) {
                throw new ApiException(Problem.badRequest("query parameter '"
                        + ShownText.escaped(ShownText.quoted(name))
                        + "' is not one that " + method + " " + template + " takes" + (taken.get().isEmpty()
                        ? " (it takes none)" : " (it takes " + String.join(", ", new TreeSet<>(taken.get())) + ")")));
            }
        }
    }

    private static DeclaredQueries load() {
        return parse(DeclaredOperations.api());
    }

    /** The query parameters of every operation, with those of its path and references resolved. */
    static DeclaredQueries parse(JsonObject api) {
        Map<String, Set<String>> byRoute = new HashMap<>();
        DeclaredOperations.parameters(api).forEach((route, parameters) -> {
            Set<String> names = new TreeSet<>();
            for (JsonObject parameter : parameters) {
                if ("query".equals(parameter.getString("in", ""))) {
                    names.add(parameter.getString("name"));
                }
            }
            byRoute.put(route, Set.copyOf(names));
        });
        return new DeclaredQueries(byRoute);
    }
}
