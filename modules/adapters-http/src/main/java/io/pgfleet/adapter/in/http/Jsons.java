package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.domain.common.ShownText;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.stream.JsonParsingException;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** JSON in and out of the API. */
final class Jsons {

    static final String MEDIA_TYPE = "application/json";
    /** The deepest nesting of arrays and objects a request body may have; the API's bodies need 4 (sample labels). */
    static final int MAX_DEPTH = 32;
    /**
     * The JSON provider, looked up once: {@code Json.createObjectBuilder()} and its siblings look the
     * provider up through the service loader on every call, a class-path scan that cost a publish
     * about a tenth of the server's CPU (JFR, docs/benchmarks.md).
     */
    static final JsonProvider JSON = JsonProvider.provider();

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
     * Refuses a body with a member the endpoint does not know: a misspelt field would otherwise be
     * ignored silently, and every endpoint answers it the same way.
     *
     * @param body    the request body
     * @param allowed the members the endpoint reads, in the order the answer names them
     * @throws ApiException 400 naming the first unknown member
     */
    static void onlyFields(JsonObject body, String... allowed) {
        java.util.List<String> known = java.util.List.of(allowed);
        for (String k : body.keySet()) {
            if (!known.contains(k)) {
                throw new ApiException(Problem.badRequest("unknown field '" + k + "'; expected " + String.join(", ", known)));
            }
        }
    }

    /**
     * Reads a JSON object body, bounded in size.
     *
     * @throws ApiException 400 when it is not a JSON object, 413 when too large, 415 when not JSON
     */
    static JsonObject readObject(ServerRequest req) {
        return readObject(req, Bodies.MAX_BYTES);
    }

    /**
     * Reads a JSON object body of at most {@code limit} bytes.
     *
     * @throws ApiException 400 when it is not a JSON object, 413 when too large, 415 when not JSON
     */
    static JsonObject readObject(ServerRequest req, int limit) {
        return parseObject(readText(req, limit));
    }

    /**
     * Reads a JSON body's text, bounded in size, without parsing it.
     *
     * @throws ApiException 413 when too large, 415 when not JSON
     */
    static String readText(ServerRequest req) {
        return readText(req, Bodies.MAX_BYTES);
    }

    private static String readText(ServerRequest req, int limit) {
        Bodies.mediaType(req).ifPresent(type -> {
            if (!type.equals(MEDIA_TYPE)) {
                throw new ApiException(Bodies.unsupportedMediaType(type, MEDIA_TYPE));
            }
        });
        return Bodies.readText(req, limit);
    }

    /**
     * Parses a body read by {@link #readText} as one JSON object. What is wrong is said in the
     * API's words, with the line and column where known: the parser's own messages name its
     * classes, its tokens and its internal limits.
     *
     * @throws ApiException 400 when it is not a JSON object
     */
    static JsonObject parseObject(String text) {
        if (text.isBlank()) {
            // Read as {} it was answered as a body without its fields ("'id' is required"), or
            // taken as one that changes nothing; the client sent no body at all.
            throw new ApiException(Problem.badRequest("the body is empty: this route takes a JSON object"
                    + " (Content-Type: application/json)"));
        }
        refuseBeyondLimits(text);
        JsonObject body;
        JsonParser parser = PARSERS.createParser(new StringReader(text));
        try {
            if (parser.next() != JsonParser.Event.START_OBJECT) {
                throw new ApiException(Problem.badRequest("the body must be a JSON object"));
            }
            body = parser.getObject();
            // Only whitespace may follow the object: the parser throws on anything else.
            if (parser.hasNext()) {
                throw new ApiException(Problem.badRequest("the body must be a single JSON object"));
            }
        } catch (JsonParsingException e) {
            throw new ApiException(Problem.badRequest("the body is not valid JSON" + where(text, e.getLocation())));
        } catch (IllegalStateException e) {
            // The parser's answer to a key given twice (rejectDuplicateKeys below).
            java.util.regex.Matcher m = DUPLICATE_KEY.matcher(String.valueOf(e.getMessage()));
            String key = m.matches() ? "the key '" + ShownText.quoted(m.group(1)) + "'" : "a key";
            throw new ApiException(Problem.badRequest("the body is not valid JSON here: " + key
                    + " is given twice in one object" + where(text, parser.getLocation())));
        } catch (JsonException | java.util.NoSuchElementException e) {
            throw new ApiException(Problem.badRequest("the body must be a JSON object"));
        } catch (ApiException e) {
            throw e;
        } catch (RuntimeException e) {
            // The parser's own limits, which refuseBeyondLimits keeps the body below: still the body's fault.
            throw new ApiException(Problem.badRequest("the body is not accepted as JSON" + where(text, parser.getLocation())));
        } finally {
            parser.close();
        }
        refuseUnstorable(body, "");
        return body;
    }

    /** The parser's message for a key given twice, which names the key. */
    private static final java.util.regex.Pattern DUPLICATE_KEY =
            java.util.regex.Pattern.compile("Duplicate key '(.*)' is not allowed", java.util.regex.Pattern.DOTALL);

    /** Where the parser stopped, as a detail ends: " at line 1, column 15", or the body ended early. */
    private static String where(String text, jakarta.json.stream.JsonLocation location) {
        if (location == null || location.getLineNumber() < 1 || location.getColumnNumber() < 1) {
            return "";
        }
        if (location.getStreamOffset() >= text.stripTrailing().length()) {
            return ": it ends before its JSON is complete (line " + location.getLineNumber() + ")";
        }
        return " at line " + location.getLineNumber() + ", column " + location.getColumnNumber();
    }

    /**
     * The most characters a number of a JSON body is written with: far more than any value the API
     * takes needs (an integer of 19 digits, a double's 17 significant digits and exponent), and
     * checked before parsing, so that the parser's own bound is never what answers.
     */
    static final int MAX_NUMBER_CHARACTERS = 100;

    /**
     * Refuses a body that nests deeper than {@link #MAX_DEPTH} or writes a number longer than
     * {@link #MAX_NUMBER_CHARACTERS}, naming the line and column; linear and iterative, outside strings.
     */
    static void refuseBeyondLimits(String text) {
        int depth = 0;
        int line = 1;
        int lineStart = 0;
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '\n') {
                line++;
                lineStart = i + 1;
            } else if (c == '[' || c == '{') {
                if (++depth > MAX_DEPTH) {
                    throw new ApiException(Problem.badRequest("the body nests arrays and objects deeper than " + MAX_DEPTH
                            + " levels (at line " + line + ", column " + (i - lineStart + 1) + ")"));
                }
            } else if (c == ']' || c == '}') {
                depth--;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                int end = i;
                while (end < text.length() && "0123456789+-.eE".indexOf(text.charAt(end)) >= 0) {
                    end++;
                }
                if (end - i > MAX_NUMBER_CHARACTERS) {
                    throw new ApiException(Problem.badRequest("the body has a number of " + (end - i) + " characters at line "
                            + line + ", column " + (i - lineStart + 1) + "; a number is written with at most "
                            + MAX_NUMBER_CHARACTERS + " characters"));
                }
                i = end - 1;
            }
        }
    }

    /**
     * Parses request bodies refusing a key given twice in one object (RFC 8259 leaves the meaning
     * open: one reader takes the first, another the last; the property is Parsson's, the provider).
     */
    private static final JsonParserFactory PARSERS = JSON.createParserFactory(Map.of(
            "org.eclipse.parsson.rejectDuplicateKeys", true,
            jakarta.json.JsonConfig.KEY_STRATEGY, jakarta.json.JsonConfig.KeyStrategy.NONE));

    /**
     * A JSON number whose value is a whole number within bounds, compared exactly: a bigger number
     * is refused rather than wrapped around to its low 64 bits ({@code 18446744073709551617} is not
     * {@code 1}). The value counts, not how it is written, as JSON Schema's {@code integer} (which
     * the API's description uses) has it: {@code 100}, {@code 100.0}, {@code 1e2} and
     * {@code 1.00e2} are all 100 and {@code -0} is 0, while {@code 1.5} and {@code 1e-1} are not
     * whole. (Parsson's {@code isIntegral} looks at the written scale: {@code 1e2} was refused and
     * {@code 1.00e2} taken.)
     *
     * @param value the member's value, null when absent
     * @return the number, or empty when the value is not a whole number from {@code min} to {@code max}
     */
    static java.util.OptionalLong integer(JsonValue value, long min, long max) {
        if (!(value instanceof jakarta.json.JsonNumber n)) {
            return java.util.OptionalLong.empty();
        }
        java.math.BigDecimal v = n.bigDecimalValue();
        // The range first (compared by exponent, however large it is written). Then a number that is
        // not 0 with more fractional digits than digits at all (1e-999999999) is below 1: not whole,
        // decided without dividing by 10 to the power of its scale. What is left is divided by 10 to
        // a power no larger than its written digits, which the body limit bounds.
        if (v.compareTo(java.math.BigDecimal.valueOf(min)) < 0 || v.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
            return java.util.OptionalLong.empty();
        }
        if (v.signum() == 0) {
            return java.util.OptionalLong.of(0);
        }
        if (v.scale() > v.precision()) {
            return java.util.OptionalLong.empty();
        }
        java.math.BigDecimal whole = v.setScale(0, java.math.RoundingMode.DOWN);
        return whole.compareTo(v) == 0 ? java.util.OptionalLong.of(whole.longValueExact()) : java.util.OptionalLong.empty();
    }

    /**
     * PostgreSQL text cannot hold a NUL character, nor a UTF-16 surrogate without its pair (JSON's
     * escape of a lone high or low surrogate: the driver would store it as {@code ?}); refusing
     * them here names the field instead of letting the database refuse, or silently change, the
     * request. Iterative, so deep JSON cannot exhaust the stack.
     */
    private static void refuseUnstorable(JsonValue root, String rootPath) {
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
                    if (hasUnpairedSurrogate(k)) {
                        throw new ApiException(Problem.badRequest("a key of '" + (path.isEmpty() ? "the body" : path)
                                + "' contains an unpaired UTF-16 surrogate (not a Unicode character), which is not accepted"));
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
                case jakarta.json.JsonString s when hasUnpairedSurrogate(s.getString()) ->
                        throw new ApiException(Problem.badRequest("'" + path + "' contains an unpaired UTF-16 surrogate"
                                + " (not a Unicode character), which is not accepted"));
                default -> {
                }
            }
        }
    }

    /** Whether the text has a high surrogate not followed by a low one, or a low one not preceded by a high one. */
    static boolean hasUnpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static JsonValue value(Object v) {
        if (v instanceof JsonValue j) {
            return j;
        }
        if (v instanceof Number n) {
            return JSON.createValue(n.longValue());
        }
        if (v instanceof Map<?, ?> m) {
            JsonObjectBuilder b = JSON.createObjectBuilder();
            m.forEach((k, x) -> b.add(String.valueOf(k), value(x)));
            return b.build();
        }
        if (v instanceof Boolean bool) {
            return bool ? JsonValue.TRUE : JsonValue.FALSE;
        }
        return JSON.createValue(String.valueOf(v));
    }
}
