package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.capability.CapabilityRefusal;
import io.pgfleet.domain.capability.MemberGaps;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.HostFacts;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
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
 * Capabilities in the API: {@code ?force=true}, the facts agents report, what the fleet view shows,
 * and the {@code 422 missing-capabilities} refusal.
 */
final class CapabilitiesJson {

    private CapabilitiesJson() {
    }

    /** {@code ?force=true} accepts a change members lack capabilities for; only whoever may publish gets this far. */
    static CapabilityMode mode(ServerRequest req) {
        return switch (QueryParams.text(req, "force")) {
            case "", "false" -> CapabilityMode.CHECK;
            case "true" -> CapabilityMode.FORCE;
            default -> throw new ApiException(Problem.badRequest("force is true or false"));
        };
    }

    static Problem refusal(CapabilityRefusal r) {
        JsonArrayBuilder members = Json.createArrayBuilder();
        for (MemberGaps m : r.members()) {
            members.add(Json.createObjectBuilder().add("collector_id", m.collectorId().value()).add("missing", gaps(m.gaps())));
        }
        JsonArrayBuilder unknown = Json.createArrayBuilder();
        r.unknown().stream().map(CollectorId::value).forEach(unknown::add);
        MemberGaps first = r.members().get(0);
        return new Problem(Status.create(422, "Unprocessable Content"), "missing-capabilities",
                "Collectors lack what the configuration needs",
                r.total() + (r.total() == 1 ? " collector lacks" : " collectors lack") + " what its new effective"
                        + " configuration needs, as its agent reported; nothing was stored (?force=true publishes anyway): "
                        + first.collectorId() + " " + first.gaps().get(0),
                Map.of("members", members.build(), "total", r.total(), "unknown", unknown.build(),
                        "unknown_total", r.unknownTotal()));
    }

    static JsonArrayBuilder gaps(List<CapabilityGap> gaps) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        gaps.forEach(g -> a.add(Json.createObjectBuilder().add("capability", g.capability().label()).add("key", g.key())
                .add("message", g.message())));
        return a;
    }

    static JsonValue facts(Optional<HostFacts> facts) {
        if (facts.isEmpty()) {
            return JsonValue.NULL;
        }
        HostFacts f = facts.get();
        JsonObjectBuilder o = Json.createObjectBuilder().add("schema_version", f.schemaVersion()).add("os", f.os());
        f.postgres().ifPresentOrElse(pg -> {
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

    /** The facts of a status report; optional (agents older than facts do not send them). */
    static Optional<HostFacts> facts(JsonObject body) {
        JsonValue v = body.get("facts");
        if (v == null || v == JsonValue.NULL) {
            return Optional.empty();
        }
        if (!(v instanceof JsonObject o)) {
            throw bad("'facts' must be an object");
        }
        Optional<HostFacts.PostgresFacts> pg = Optional.empty();
        JsonValue p = o.get("postgres");
        if (p != null && p != JsonValue.NULL) {
            if (!(p instanceof JsonObject po)) {
                throw bad("'facts.postgres' must be an object or null");
            }
            Map<String, List<String>> ext = new LinkedHashMap<>();
            if (!(po.get("extensions") instanceof JsonObject eo)) {
                throw bad("'facts.postgres.extensions' must be an object of database names to lists");
            }
            if (eo.size() > HostFacts.MAX_EXTENSION_DATABASES) {
                throw bad("'facts.postgres.extensions' lists at most " + HostFacts.MAX_EXTENSION_DATABASES + " databases");
            }
            eo.forEach((db, list) -> ext.put(db, strings(list, "facts.postgres.extensions." + db, HostFacts.MAX_EXTENSIONS)));
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
        // The size is checked before the list is copied: a report of a million names costs no more than its body.
        if (!(v instanceof JsonArray a) || a.size() > max || a.stream().anyMatch(e -> !(e instanceof JsonString))) {
            throw bad("'" + name + "' must be a list of at most " + max + " strings");
        }
        return a.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }

    private static String string(JsonObject o, String key) {
        if (!(o.get(key) instanceof JsonString s)) {
            throw bad("'facts' needs the string '" + key + "'");
        }
        return s.getString();
    }

    private static int integer(JsonObject o, String key) {
        if (!(o.get(key) instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 0 || n.longValue() > Integer.MAX_VALUE) {
            throw bad("'facts' needs the whole number '" + key + "'");
        }
        return n.intValue();
    }

    private static ApiException bad(String detail) {
        return new ApiException(Problem.badRequest(detail));
    }
}
