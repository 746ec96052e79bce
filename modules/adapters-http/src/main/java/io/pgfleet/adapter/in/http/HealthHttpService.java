package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.HealthQuery;
import jakarta.json.Json;

import java.util.Optional;

/**
 * {@code /observe/health}: readiness with a database check ({@code /} and {@code /ready}) and
 * liveness ({@code /live}), open to anyone, for load balancers. Each answers {@code HEAD} too, with
 * the status its {@code GET} would have and no body.
 */
final class HealthHttpService implements ApiService {

    private final HealthQuery health;

    HealthHttpService(HealthQuery health) {
        this.health = health;
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        RouteAccess loadBalancers = RouteAccess.open("load balancers and orchestrators probe without a token");
        rules.get("/", loadBalancers, this::ready)
                .get("/ready", loadBalancers, this::ready)
                .get("/live", loadBalancers, (req, res) -> send(res, Status.OK_200, "UP", Optional.empty()))
                // Probes that ask with HEAD (HAProxy's "http-check send meth HEAD", many monitors)
                // read the status alone: the same status as GET, without the body.
                .head("/", loadBalancers, this::readyStatus)
                .head("/ready", loadBalancers, this::readyStatus)
                .head("/live", loadBalancers, (req, res) -> status(res, Status.OK_200));
    }

    private void readyStatus(ServerRequest req, ServerResponse res) {
        status(res, health.notReadyBecause().isEmpty() ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503);
    }

    private static void status(ServerResponse res, Status status) {
        res.status(status);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send();
    }

    private void ready(ServerRequest req, ServerResponse res) {
        Optional<String> problem = health.notReadyBecause();
        send(res, problem.isEmpty() ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503, problem.isEmpty() ? "UP" : "DOWN",
                problem);
    }

    private static void send(ServerResponse res, Status status, String state, Optional<String> problem) {
        res.status(status);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        var body = Json.createObjectBuilder().add("status", state)
                .add("checks", Json.createArrayBuilder().add(Json.createObjectBuilder()
                        .add("name", "database").add("status", problem.isEmpty() ? "UP" : "DOWN")
                        .add("detail", problem.orElse(""))));
        Jsons.send(res, body.build());
    }
}
