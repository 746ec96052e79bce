package io.pgfleet.adapter.out.postgres;

import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.json.HostFactsJson;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.util.List;
import java.util.Optional;

/** Host facts, allow-lists and capability gaps as the {@code collector_status} columns keep them (JSON). */
final class FactsJson {

    private FactsJson() {
    }

    static String facts(HostFacts f) {
        return HostFactsJson.write(f).toString();
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
            return HostFactsJson.read(read(json));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
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

    /**
     * Allow-lists as stored; lists that today's rules refuse (stored under older, looser rules) read as
     * unknown, as facts do, rather than break the fleet view or every publish.
     */
    static Optional<HostAllowances> allowances(String json) {
        if (json.isEmpty()) {
            return Optional.empty();
        }
        try {
            JsonObject o = read(json);
            return Optional.of(new HostAllowances(strings(o.get("password_dirs")), strings(o.get("password_env")),
                    strings(o.get("hosts"))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
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
