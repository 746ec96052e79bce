package io.pgfleet.adapter.in.http;

import io.helidon.http.Method;
import io.pgfleet.domain.access.Operation;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The published OpenAPI description and the route table say the same: every registered route is
 * described (with its path parameters and the right security), nothing is described that is not
 * registered, and every reference inside the description resolves.
 */
class OpenApiDescriptionTest {

    private static final Set<String> METHODS = Set.of("get", "put", "post", "patch", "delete", "head", "options");
    private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");

    static JsonObject description() {
        return Json.createReader(new ByteArrayInputStream(OpenApiHttpService.load())).readObject();
    }

    /** Everything on which the description and the route table disagree; empty when they agree. */
    static List<String> mismatches(List<ApiRoutes.DeclaredRoute> routes, JsonObject doc) {
        List<String> problems = new ArrayList<>();
        JsonObject paths = doc.getJsonObject("paths");
        Set<String> registered = new TreeSet<>();
        for (ApiRoutes.DeclaredRoute r : routes) {
            String name = r.method().text() + " " + r.template();
            registered.add(name);
            JsonObject item = paths.getJsonObject(r.template());
            String method = r.method().text().toLowerCase(java.util.Locale.ROOT);
            if (item == null || !item.containsKey(method)) {
                problems.add("registered but not described: " + name);
                continue;
            }
            JsonObject op = item.getJsonObject(method);
            JsonArray security = op.containsKey("security") ? op.getJsonArray("security") : doc.getJsonArray("security");
            boolean open = r.access() instanceof RouteAccess.Open;
            if (open && !security.isEmpty()) {
                problems.add(name + " is open but described with a security requirement");
            }
            if (!open && (security.isEmpty() || !security.getJsonObject(0).containsKey("bearerAuth"))) {
                problems.add(name + " needs a bearer token but is described without one");
            }
            String access = op.getString("x-pgfleet-access", "");
            String expected = switch (r.access()) {
                case RouteAccess.Open o -> "open";
                case RouteAccess.Allowed a -> a.operation().name();
                case RouteAccess.OnCollectorInPath c -> c.operation().name();
                case RouteAccess.OnOwnCollector c -> c.operation().name();
            };
            if (!access.startsWith(expected)) {
                problems.add(name + " is described with access '" + access + "', the route table says " + expected);
            }
            if (!open && !op.getJsonObject("responses").containsKey("401")) {
                problems.add(name + " needs a token but describes no 401");
            }
            Set<String> declaredParams = new TreeSet<>();
            for (JsonValue p : op.getJsonArray("parameters") == null ? JsonValue.EMPTY_JSON_ARRAY : op.getJsonArray("parameters")) {
                JsonObject param = resolve(doc, p.asJsonObject());
                if (param.getString("in").equals("path")) {
                    declaredParams.add(param.getString("name"));
                }
            }
            Set<String> templateParams = new TreeSet<>();
            Matcher m = PATH_PARAM.matcher(r.template());
            while (m.find()) {
                templateParams.add(m.group(1));
            }
            if (!templateParams.equals(declaredParams)) {
                problems.add(name + " has path parameters " + templateParams + " but describes " + declaredParams);
            }
            op.getJsonObject("responses").forEach((status, response) -> {
                JsonObject resp = resolve(doc, response.asJsonObject());
                if (!resp.containsKey("description")) {
                    problems.add(name + " " + status + " has no description");
                }
                // A failure is a problem, unless the description says why not (health checks answer their own JSON).
                if ((status.startsWith("4") || status.startsWith("5")) && !resp.containsKey("x-not-a-problem")) {
                    JsonObject content = resp.getJsonObject("content");
                    if (content == null || !content.containsKey("application/problem+json")) {
                        problems.add(name + " " + status + " is not described as a problem (application/problem+json)");
                    }
                }
            });
        }
        paths.forEach((path, item) -> item.asJsonObject().keySet().stream().filter(METHODS::contains).forEach(method -> {
            String name = method.toUpperCase(java.util.Locale.ROOT) + " " + path;
            if (!registered.contains(name)) {
                problems.add("described but not registered: " + name);
            }
        }));
        return problems;
    }

    static JsonObject resolve(JsonObject doc, JsonObject maybeRef) {
        if (!maybeRef.containsKey("$ref")) {
            return maybeRef;
        }
        return resolve(doc, pointer(doc, maybeRef.getString("$ref")).asJsonObject());
    }

    private static JsonValue pointer(JsonObject doc, String ref) {
        assertTrue(ref.startsWith("#/"), "only local references: " + ref);
        return Json.createPointer(ref.substring(1)).getValue(doc);
    }

    private static void collectRefs(JsonValue v, List<String> into) {
        if (v instanceof JsonObject o) {
            o.forEach((k, x) -> {
                if (k.equals("$ref") && x instanceof JsonString s) {
                    into.add(s.getString());
                } else {
                    collectRefs(x, into);
                }
            });
        } else if (v instanceof JsonArray a) {
            a.forEach(x -> collectRefs(x, into));
        }
    }

    @Test
    void describesEveryRegisteredRouteAndNothingElse() {
        JsonObject doc = description();
        assertEquals("3.1.0", doc.getString("openapi"));
        List<ApiRoutes.DeclaredRoute> routes = ApiRoutesTest.apiRoutes().declared();
        assertTrue(routes.size() >= 20, routes.toString());
        assertEquals(List.of(), mismatches(routes, doc));
    }

    @Test
    void everyReferenceResolves() {
        JsonObject doc = description();
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertTrue(refs.size() > 50, "the description reuses its components: " + refs.size());
        for (String ref : refs) {
            JsonValue target = pointer(doc, ref);
            assertTrue(target instanceof JsonObject, ref + " resolves to an object");
        }
    }

    @Test
    void aRouteMissingFromTheDescriptionOrOnlyDescribedFailsTheComparison() {
        JsonObject doc = description();
        JsonObject paths = doc.getJsonObject("paths");
        JsonObject tampered = Json.createObjectBuilder(doc)
                .add("paths", Json.createObjectBuilder(paths).remove("/api/v1/audit")
                        .add("/api/v1/nowhere", Json.createObjectBuilder().add("get", paths.getJsonObject("/api/v1/users")
                                .getJsonObject("get"))))
                .build();
        List<String> problems = mismatches(ApiRoutesTest.apiRoutes().declared(), tampered);
        assertTrue(problems.contains("registered but not described: GET /api/v1/audit"), problems.toString());
        assertTrue(problems.contains("described but not registered: GET /api/v1/nowhere"), problems.toString());
    }

    @Test
    void aWrongSecurityRequirementOrPathParameterFailsTheComparison() {
        JsonObject doc = description();
        List<ApiRoutes.DeclaredRoute> routes = List.of(
                new ApiRoutes.DeclaredRoute(Method.GET, "/api/v1/openapi.json", RouteAccess.allowed(Operation.READ_AUDIT)),
                new ApiRoutes.DeclaredRoute(Method.GET, "/api/v1/users", RouteAccess.open("oops")),
                new ApiRoutes.DeclaredRoute(Method.POST, "/api/v1/collectors/{id}/revoke",
                        RouteAccess.allowed(Operation.PROVISION_COLLECTOR)));
        JsonObject paths = doc.getJsonObject("paths");
        JsonObject revoke = paths.getJsonObject("/api/v1/collectors/{id}/revoke").getJsonObject("post");
        JsonObject tampered = Json.createObjectBuilder(doc).add("paths", Json.createObjectBuilder()
                .add("/api/v1/openapi.json", paths.getJsonObject("/api/v1/openapi.json"))
                .add("/api/v1/users", Json.createObjectBuilder().add("get", paths.getJsonObject("/api/v1/users").getJsonObject("get")))
                .add("/api/v1/collectors/{id}/revoke", Json.createObjectBuilder().add("post",
                        Json.createObjectBuilder(revoke).add("parameters", JsonValue.EMPTY_JSON_ARRAY))))
                .build();
        List<String> problems = mismatches(routes, tampered);
        assertTrue(problems.contains("GET /api/v1/openapi.json needs a bearer token but is described without one"), problems.toString());
        assertTrue(problems.contains("GET /api/v1/users is open but described with a security requirement"), problems.toString());
        assertTrue(problems.contains("GET /api/v1/openapi.json is described with access 'open: a client generator or a "
                + "newcomer reads it without a token', the route table says READ_AUDIT"), problems.toString());
        assertTrue(problems.contains("POST /api/v1/collectors/{id}/revoke has path parameters [id] but describes []"),
                problems.toString());
    }
}
