package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
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
        return ifMatchRoutes.contains(method.toUpperCase(Locale.ROOT) + " " + template);
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
        try (InputStream in = DeclaredPreconditions.class.getResourceAsStream(OpenApiHttpService.RESOURCE);
             JsonReader reader = Json.createReader(in)) {
            return parse(reader.readObject());
        } catch (IOException e) {
            throw new UncheckedIOException("the API description cannot be read", e);
        }
    }

    /** The operations whose parameters (their own or their path's, references resolved) include the header If-Match. */
    static DeclaredPreconditions parse(JsonObject api) {
        JsonObject shared = api.getJsonObject("components").getJsonObject("parameters");
        Set<String> routes = new HashSet<>();
        for (Map.Entry<String, JsonValue> path : api.getJsonObject("paths").entrySet()) {
            JsonObject operations = path.getValue().asJsonObject();
            for (Map.Entry<String, JsonValue> op : operations.entrySet()) {
                if (op.getKey().equals("parameters") || op.getValue().getValueType() != JsonValue.ValueType.OBJECT) {
                    continue;
                }
                for (JsonObject holder : new JsonObject[] {operations, op.getValue().asJsonObject()}) {
                    if (!holder.containsKey("parameters")) {
                        continue;
                    }
                    for (JsonValue p : holder.getJsonArray("parameters")) {
                        JsonObject parameter = p.asJsonObject();
                        if (parameter.containsKey("$ref")) {
                            String ref = parameter.getString("$ref");
                            parameter = shared.getJsonObject(ref.substring(ref.lastIndexOf('/') + 1));
                        }
                        if ("header".equals(parameter.getString("in", ""))
                                && "if-match".equals(parameter.getString("name", "").toLowerCase(Locale.ROOT))) {
                            routes.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
                        }
                    }
                }
            }
        }
        return new DeclaredPreconditions(routes);
    }
}
