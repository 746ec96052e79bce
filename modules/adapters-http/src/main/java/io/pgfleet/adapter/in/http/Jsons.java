package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** JSON in and out of the API. */
final class Jsons {

    static final String MEDIA_TYPE = "application/json";

    private Jsons() {
    }

    static void send(ServerRequest req, ServerResponse res, JsonObject body) {
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        Compression.send(req, res, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    static void send(ServerResponse res, JsonObject body) {
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        res.send(body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a JSON object body, bounded in size.
     *
     * @throws ApiException 400 when it is not a JSON object, 413 when too large, 415 when not JSON
     */
    static JsonObject readObject(ServerRequest req) {
        req.headers().contentType().ifPresent(ct -> {
            if (!ct.mediaType().text().equalsIgnoreCase(MEDIA_TYPE)) {
                throw new ApiException(Bodies.unsupportedMediaType(ct.mediaType().text(), MEDIA_TYPE));
            }
        });
        String text = Bodies.readText(req);
        if (text.isBlank()) {
            return JsonValue.EMPTY_JSON_OBJECT;
        }
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            JsonObject body = reader.readObject();
            refuseNul(body, "");
            return body;
        } catch (JsonParsingException e) {
            throw new ApiException(Problem.badRequest("the body is not valid JSON: " + e.getMessage()));
        } catch (JsonException | IllegalStateException e) {
            throw new ApiException(Problem.badRequest("the body must be a JSON object"));
        }
    }

    /**
     * PostgreSQL text cannot hold a NUL character; refusing it here names the field instead of
     * letting the database refuse the whole request. Iterative, so deep JSON cannot exhaust the stack.
     */
    private static void refuseNul(JsonValue root, String rootPath) {
        java.util.ArrayDeque<Map.Entry<String, JsonValue>> todo = new java.util.ArrayDeque<>();
        todo.push(Map.entry(rootPath, root));
        while (!todo.isEmpty()) {
            Map.Entry<String, JsonValue> next = todo.pop();
            String path = next.getKey();
            switch (next.getValue()) {
                case JsonObject o -> o.forEach((k, v) -> {
                    String child = path.isEmpty() ? k : path + "." + k;
                    if (k.indexOf('\u0000') >= 0) {
                        throw new ApiException(Problem.badRequest("a key of '" + (path.isEmpty() ? "the body" : path)
                                + "' contains a NUL character, which is not accepted"));
                    }
                    todo.push(Map.entry(child, v));
                });
                case jakarta.json.JsonArray a -> {
                    for (int i = 0; i < a.size(); i++) {
                        todo.push(Map.entry(path + "[" + i + "]", a.get(i)));
                    }
                }
                case jakarta.json.JsonString s when s.getString().indexOf('\u0000') >= 0 ->
                        throw new ApiException(Problem.badRequest("'" + path + "' contains a NUL character, which is not accepted"));
                default -> {
                }
            }
        }
    }

    static JsonValue value(Object v) {
        if (v instanceof JsonValue j) {
            return j;
        }
        if (v instanceof Number n) {
            return Json.createValue(n.longValue());
        }
        if (v instanceof Map<?, ?> m) {
            JsonObjectBuilder b = Json.createObjectBuilder();
            m.forEach((k, x) -> b.add(String.valueOf(k), value(x)));
            return b.build();
        }
        if (v instanceof Boolean bool) {
            return bool ? JsonValue.TRUE : JsonValue.FALSE;
        }
        return Json.createValue(String.valueOf(v));
    }
}
