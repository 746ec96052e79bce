package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import jakarta.json.JsonObject;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The routes that honour {@code If-Match}, as the API's description ({@code openapi.json})
 * declares them: the publishes and rollbacks of a versioned document. Any other route that changes
 * something refuses a request carrying {@code If-Match} with {@code 400} naming the header; so does
 * every route that changes something for {@code If-None-Match} and {@code If-Unmodified-Since},
 * which only reads evaluate ({@code If-None-Match}) or none does ({@code If-Unmodified-Since}).
 *
 * <p>Ignored, the header promised a protection the route does not give: a {@code PATCH} of a
 * group or of a collector's labels, a group's {@code DELETE} or a rollout's start with a stale
 * {@code If-Match} was carried out as if it had none, over whatever someone else had changed
 * meanwhile; a publish with {@code If-None-Match: *} (only if nothing is published yet) replaced
 * what someone else had published. These resources have no entity tag to compare with, or the
 * route does not compare it, so the condition could never be evaluated (RFC 9110 §13.1); the
 * client is told instead of being answered as if it held. Reads ({@code GET}) are not concerned
 * here: the reads of a versioned document evaluate {@code If-Match} and {@code If-Unmodified-Since}
 * before {@code If-None-Match} ({@link ReadPreconditions}), and the others change nothing whatever
 * the condition.
 */
final class DeclaredPreconditions {

    /** The conditional headers a change is refused with when its route does not declare them (before {@link #API}, which reads it). */
    private static final java.util.List<HeaderName> CONDITIONS = java.util.List.of(HeaderNames.IF_MATCH,
            HeaderNames.IF_NONE_MATCH, HeaderNames.IF_UNMODIFIED_SINCE);

    /** Loaded once: the description is a resource of this module. */
    private static final DeclaredPreconditions API = load();

    /** Route key ({@link DeclaredOperations#key}) → the conditional headers (lower case) its description declares. */
    private final Map<String, Set<String>> declared;

    private DeclaredPreconditions(Map<String, Set<String>> declared) {
        this.declared = Map.copyOf(declared);
    }

    /** The routes of the API's description. */
    static DeclaredPreconditions api() {
        return API;
    }

    /**
     * The conditional headers a route evaluates.
     *
     * @param method   e.g. {@code PUT}
     * @param template e.g. {@code /api/v1/config/{id}}
     * @return the header names its description declares, in lower case
     */
    Set<String> takes(String method, String template) {
        return declared.getOrDefault(DeclaredOperations.key(method, template), Set.of());
    }

    /**
     * Refuses a request that would change something carrying a conditional header its route does
     * not evaluate.
     *
     * @param req      the request
     * @param method   the route's method
     * @param template the route's template
     * @param takes    what {@link #takes} says of the route (looked up once when the route is declared)
     * @throws ApiException 400 naming the header and the route
     */
    static void check(ServerRequest req, Method method, String template, Set<String> takes) {
        if (Method.GET.equals(method)) {
            return;
        }
        for (HeaderName condition : CONDITIONS) {
            if (!req.headers().contains(condition) || takes.contains(condition.lowerCase())) {
                continue;
            }
            String name = condition.defaultCase();
            String who = condition.equals(HeaderNames.IF_MATCH)
                    ? "only publishes and rollbacks of a configuration or layer take it"
                    : condition.equals(HeaderNames.IF_NONE_MATCH) ? "only reads take it; a publish takes If-Match"
                    : "no change takes it; a publish takes If-Match";
            throw new ApiException(Problem.badRequest(method.text() + " " + template + " does not take " + name
                    + ": it does not evaluate the condition, so the change would be made whatever it says; nothing was"
                    + " changed. Send it without " + name + " (" + who + ")"));
        }
    }

    private static DeclaredPreconditions load() {
        return parse(DeclaredOperations.api());
    }

    /** The conditional headers among each operation's parameters (its own or its path's, references resolved). */
    static DeclaredPreconditions parse(JsonObject api) {
        Map<String, Set<String>> routes = new HashMap<>();
        DeclaredOperations.parameters(api).forEach((route, parameters) -> parameters.stream()
                .filter(parameter -> "header".equals(parameter.getString("in", "")))
                .map(parameter -> parameter.getString("name", "").toLowerCase(Locale.ROOT))
                .filter(name -> CONDITIONS.stream().anyMatch(c -> c.lowerCase().equals(name)))
                .forEach(name -> routes.computeIfAbsent(route, k -> new HashSet<>()).add(name)));
        return new DeclaredPreconditions(routes);
    }
}
