package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.capability.CapabilityRefusal;
import io.pgfleet.domain.capability.MemberGaps;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.json.HostFactsJson;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

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
        return new Problem(Status.create(422, "Unprocessable Content"), ProblemType.MISSING_CAPABILITIES,
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

    /** The facts of a fleet member, {@code null} when its agent reported none. */
    static JsonValue facts(Optional<HostFacts> facts) {
        return facts.<JsonValue>map(HostFactsJson::write).orElse(JsonValue.NULL);
    }

    /** The facts of a status report; optional (agents older than facts do not send them). */
    static Optional<HostFacts> facts(JsonObject body) {
        try {
            return HostFactsJson.read(body.getOrDefault("facts", JsonValue.NULL));
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    private static ApiException bad(String detail) {
        return new ApiException(Problem.badRequest(detail));
    }
}
