package io.pgfleet.adapter.in.http;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The operations of the API's description ({@code openapi.json}) with the parameters each takes:
 * its own and its path's, references to shared parameters resolved. The one reading of the
 * description that {@link DeclaredQueries} and {@link DeclaredPreconditions} derive their checks
 * from, so that what a route takes is declared in one place.
 */
final class DeclaredOperations {

    private DeclaredOperations() {
    }

    /** The description shipped with this module, read once by each check that needs it. */
    static JsonObject api() {
        try (InputStream in = DeclaredOperations.class.getResourceAsStream(OpenApiHttpService.RESOURCE);
             JsonReader reader = Json.createReader(in)) {
            return reader.readObject();
        } catch (IOException e) {
            throw new UncheckedIOException("the API description cannot be read", e);
        }
    }

    /**
     * Every operation's parameters.
     *
     * @param api the description
     * @return by route key ({@link #key}), the parameter objects, path-level ones first
     */
    static Map<String, List<JsonObject>> parameters(JsonObject api) {
        JsonObject shared = api.getJsonObject("components").getJsonObject("parameters");
        Map<String, List<JsonObject>> byRoute = new HashMap<>();
        for (Map.Entry<String, JsonValue> path : api.getJsonObject("paths").entrySet()) {
            JsonObject operations = path.getValue().asJsonObject();
            for (Map.Entry<String, JsonValue> op : operations.entrySet()) {
                if (op.getKey().equals("parameters") || op.getValue().getValueType() != JsonValue.ValueType.OBJECT) {
                    continue;
                }
                List<JsonObject> parameters = new ArrayList<>();
                for (JsonObject holder : List.of(operations, op.getValue().asJsonObject())) {
                    if (!holder.containsKey("parameters")) {
                        continue;
                    }
                    for (JsonValue p : holder.getJsonArray("parameters")) {
                        JsonObject parameter = p.asJsonObject();
                        if (parameter.containsKey("$ref")) {
                            String ref = parameter.getString("$ref");
                            parameter = shared.getJsonObject(ref.substring(ref.lastIndexOf('/') + 1));
                        }
                        parameters.add(parameter);
                    }
                }
                byRoute.put(key(op.getKey(), path.getKey()), List.copyOf(parameters));
            }
        }
        return byRoute;
    }

    /** How a route is named in the maps: {@code PUT /api/v1/config/{id}}. */
    static String key(String method, String template) {
        return method.toUpperCase(Locale.ROOT) + " " + template;
    }
}
