package io.pgfleet.adapter.out.postgres;

import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.fleet.HostFacts;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Host facts, allow-lists and capability gaps as the {@code collector_status} columns keep them (JSON). */
final class FactsJson {

    private FactsJson() {
    }

    static String facts(HostFacts f) {
        JsonObjectBuilder o = Json.createObjectBuilder().add("schema_version", f.schemaVersion()).add("os", f.os());
        f.postgres().ifPresent(pg -> {
            JsonObjectBuilder ext = Json.createObjectBuilder();
            pg.extensions().forEach((db, list) -> ext.add(db, Json.createArrayBuilder(list)));
            o.add("postgres", Json.createObjectBuilder().add("host", pg.host()).add("port", pg.port())
                    .add("server_version_num", pg.serverVersionNum())
                    .add("shared_preload_libraries", Json.createArrayBuilder(pg.preloadLibraries()))
                    .add("databases", Json.createArrayBuilder(pg.databases()))
                    .add("databases_truncated", pg.databasesTruncated())
                    .add("extensions", ext));
        });
        return o.build().toString();
    }

    /**
     * Facts as stored; facts that today's bounds refuse (stored under older, looser rules) read as
     * unknown rather than break the fleet view or every publish.
     */
    static Optional<HostFacts> facts(String json) {
        if (json.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(read(json)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static HostFacts parse(JsonObject o) {
        Optional<HostFacts.PostgresFacts> pg = Optional.empty();
        if (o.get("postgres") instanceof JsonObject p) {
            Map<String, List<String>> ext = new LinkedHashMap<>();
            p.getJsonObject("extensions").forEach((db, v) -> ext.put(db, strings(v)));
            pg = Optional.of(new HostFacts.PostgresFacts(p.getString("host"), p.getInt("port"),
                    p.getInt("server_version_num"), strings(p.get("shared_preload_libraries")), strings(p.get("databases")),
                    p.getBoolean("databases_truncated"), ext));
        }
        return new HostFacts(o.getInt("schema_version"), o.getString("os"), pg);
    }

    static String gaps(List<CapabilityGap> gaps) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        gaps.forEach(g -> a.add(Json.createObjectBuilder().add("capability", g.capability().name())
                .add("key", g.key()).add("message", g.message())));
        return a.build().toString();
    }

    static List<CapabilityGap> gaps(String json) {
        if (json.isEmpty()) {
            return List.of();
        }
        try (JsonReader r = Json.createReader(new StringReader(json))) {
            return r.readArray().getValuesAs(JsonObject.class).stream().map(g -> new CapabilityGap(
                    CapabilityGap.Capability.valueOf(g.getString("capability")), g.getString("key"),
                    g.getString("message"))).toList();
        }
    }

    static Optional<HostAllowances> allowances(String json) {
        if (json.isEmpty()) {
            return Optional.empty();
        }
        JsonObject o = read(json);
        return Optional.of(new HostAllowances(strings(o.get("password_dirs")), strings(o.get("password_env")),
                strings(o.get("hosts"))));
    }

    private static JsonObject read(String json) {
        try (JsonReader r = Json.createReader(new StringReader(json))) {
            return r.readObject();
        }
    }

    private static List<String> strings(JsonValue v) {
        return ((JsonArray) v).getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }
}
