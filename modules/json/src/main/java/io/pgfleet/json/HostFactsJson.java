package io.pgfleet.json;

import io.pgfleet.domain.fleet.HostFacts;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link HostFacts} as JSON: the {@code facts} of an agent's status report, the fleet view's
 * {@code facts} and the stored column are this one form.
 *
 * <pre>{@code
 * {"schema_version": 1, "os": "Linux 6.1.0 amd64",
 *  "postgres": {"host": "localhost", "port": 5432, "server_version_num": 170002,
 *               "shared_preload_libraries": ["pg_stat_statements"], "databases": ["app", "postgres"],
 *               "databases_truncated": false, "extensions": {"app": ["pg_stat_statements"]}}}
 * }</pre>
 *
 * {@code postgres} is {@code null} when the agent could not reach its PostgreSQL.
 */
public final class HostFactsJson {

    private HostFactsJson() {
    }

    /**
     * The JSON form of facts.
     *
     * @param facts the facts
     * @return the object, {@code postgres} null when there are no PostgreSQL facts
     */
    public static JsonObject write(HostFacts facts) {
        JsonObjectBuilder o = Json.createObjectBuilder().add("schema_version", facts.schemaVersion()).add("os", facts.os());
        facts.postgres().ifPresentOrElse(pg -> {
            JsonObjectBuilder ext = Json.createObjectBuilder();
            pg.extensions().forEach((db, list) -> ext.add(db, Json.createArrayBuilder(list)));
            o.add("postgres", Json.createObjectBuilder().add("host", pg.host()).add("port", pg.port())
                    .add("server_version_num", pg.serverVersionNum())
                    .add("shared_preload_libraries", Json.createArrayBuilder(pg.preloadLibraries()))
                    .add("databases", Json.createArrayBuilder(pg.databases()))
                    .add("databases_truncated", pg.databasesTruncated())
                    .add("extensions", ext));
        }, () -> o.addNull("postgres"));
        return o.build();
    }

    /**
     * Facts from their JSON form, every list's size checked before it is copied (a report of a
     * million names costs no more than its body) and every value against {@link HostFacts}' bounds.
     *
     * @param value the {@code facts} value; JSON {@code null} for none (agents older than facts send none)
     * @return the facts, empty for {@code null}
     * @throws IllegalArgumentException naming what is wrong, when the value is not facts within bounds
     */
    public static Optional<HostFacts> read(JsonValue value) {
        if (value == JsonValue.NULL) {
            return Optional.empty();
        }
        if (!(value instanceof JsonObject o)) {
            throw new IllegalArgumentException("'facts' must be an object");
        }
        Optional<HostFacts.PostgresFacts> pg = Optional.empty();
        JsonValue p = o.get("postgres");
        if (p != null && p != JsonValue.NULL) {
            if (!(p instanceof JsonObject po)) {
                throw new IllegalArgumentException("'facts.postgres' must be an object or null");
            }
            Map<String, List<String>> ext = new LinkedHashMap<>();
            if (!(po.get("extensions") instanceof JsonObject eo)) {
                throw new IllegalArgumentException("'facts.postgres.extensions' must be an object of database names to lists");
            }
            if (eo.size() > HostFacts.MAX_EXTENSION_DATABASES) {
                throw new IllegalArgumentException("'facts.postgres.extensions' lists at most "
                        + HostFacts.MAX_EXTENSION_DATABASES + " databases");
            }
            eo.forEach((db, list) -> ext.put(db, strings(list, "facts.postgres.extensions." + io.pgfleet.domain.common.ShownText.escaped(db), HostFacts.MAX_EXTENSIONS)));
            pg = Optional.of(new HostFacts.PostgresFacts(string(po, "host"), integer(po, "port"),
                    integer(po, "server_version_num"),
                    strings(po.get("shared_preload_libraries"), "facts.postgres.shared_preload_libraries",
                            HostFacts.MAX_PRELOAD),
                    strings(po.get("databases"), "facts.postgres.databases", HostFacts.MAX_DATABASES),
                    po.get("databases_truncated") == JsonValue.TRUE, ext));
        }
        return Optional.of(new HostFacts(integer(o, "schema_version"), string(o, "os"), pg));
    }

    private static List<String> strings(JsonValue v, String name, int max) {
        if (!(v instanceof JsonArray a) || a.size() > max || a.stream().anyMatch(e -> !(e instanceof JsonString))) {
            throw new IllegalArgumentException("'" + name + "' must be a list of at most " + max + " strings");
        }
        return a.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }

    private static String string(JsonObject o, String key) {
        if (!(o.get(key) instanceof JsonString s)) {
            throw new IllegalArgumentException("'facts' needs the string '" + key + "'");
        }
        return s.getString();
    }

    private static int integer(JsonObject o, String key) {
        // Compared exactly: longValue() keeps a bigger number's low 64 bits, and a port of
        // 18446744073709556049 was stored as 4433.
        if (!(o.get(key) instanceof JsonNumber n) || !n.isIntegral() || n.bigDecimalValue().signum() < 0
                || n.bigDecimalValue().compareTo(java.math.BigDecimal.valueOf(Integer.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'facts' needs the whole number '" + key + "'");
        }
        return n.intValue();
    }
}
