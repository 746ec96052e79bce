package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.domain.audit.AuditFilter;
import io.pgfleet.application.port.in.AuditTrailQuery;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;

import java.time.Instant;

/**
 * {@code /api/v1/audit}: who did what, when, from where.
 */
final class AuditHttpService implements ApiService {

    private final AuditTrailQuery trail;

    AuditHttpService(AuditTrailQuery trail) {
        this.trail = trail;
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.get("/", RouteAccess.allowed(Operation.READ_AUDIT), this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        String action = QueryParams.text(req, "action");
        if (!action.isEmpty()) {
            try {
                AuditAction.parse(action);
            } catch (IllegalArgumentException e) {
                throw new ApiException(Problem.badRequest(e.getMessage()));
            }
        }
        AuditFilter filter;
        try {
            filter = new AuditFilter(QueryParams.text(req, "collector_id"), QueryParams.text(req, "actor"), action,
                    QueryParams.instant(req, "since", Instant.EPOCH),
                    QueryParams.instant(req, "until", Instant.parse("9999-12-31T00:00:00Z")),
                    QueryParams.integer(req, "limit", 100, 1, AuditFilter.MAX_LIMIT));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        JsonArrayBuilder entries = Json.createArrayBuilder();
        for (AuditEntry e : trail.find(filter)) {
            JsonObjectBuilder o = Json.createObjectBuilder()
                    .add("at", HttpDates.json(e.at()))
                    .add("actor", e.actor().name())
                    .add("address", e.actor().address())
                    .add("action", e.action().label())
                    .add("collector_id", e.subject() instanceof AuditSubject.OfCollector c ? c.collectorId().value() : "")
                    .add("username", e.subject() instanceof AuditSubject.OfUser u ? u.username().value() : "");
            e.configVersion().ifPresentOrElse(v -> o.add("version", v.value()), () -> o.addNull("version"));
            o.add("detail", e.detail());
            entries.add(o);
        }
        Jsons.send(req, res, Json.createObjectBuilder().add("entries", entries).build());
    }
}
