package io.pgfleet.adapter.in.http;

import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgfleet.application.port.in.AccessUseCases;
import io.pgfleet.application.port.in.AuditTrailQuery;
import io.pgfleet.application.port.in.BootstrapSecurityUseCase;
import io.pgfleet.application.port.in.CollectorUseCases;
import io.pgfleet.application.port.in.ConfigUseCases;
import io.pgfleet.application.port.in.FleetUseCases;
import io.pgfleet.application.port.in.OperationsUseCases;
import io.pgfleet.application.port.in.UseCases;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.HealthQuery;
import io.pgfleet.application.port.in.IssueEnrolmentTokenUseCase;
import io.pgfleet.application.port.in.LoginUseCase;
import io.pgfleet.application.port.in.ManageUsersUseCase;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.port.in.PushMetricsUseCase;
import io.pgfleet.application.port.in.RefreshTokenUseCase;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.ReportStatusUseCase;
import io.pgfleet.application.port.in.RevokeCollectorUseCase;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.in.RotateSigningKeyUseCase;
import io.pgfleet.application.port.in.ValidateConfigQuery;
import io.pgfleet.application.port.in.WatchConfigQuery;
import io.pgfleet.domain.access.Operation;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Walks the API's route table: every route declares the access it requires, and only the routes
 * meant to be public are open. The use cases are never called here (registration only), so they
 * are stand-ins that refuse any call.
 */
class ApiRoutesTest {

    /** The only routes anyone may call without a token. */
    private static final Set<String> OPEN = Set.of(
            "POST /api/v1/auth/login", "POST /api/v1/auth/refresh", "POST /api/v1/auth/logout",
            "POST /api/v1/collectors/register",
            "GET /observe/metrics", "GET /observe/health", "GET /observe/health/ready", "GET /observe/health/live",
            "HEAD /observe/health", "HEAD /observe/health/ready", "HEAD /observe/health/live",
            "GET /api/v1/openapi.json");

    private static <T> T unused(Class<T> port) {
        return port.cast(Proxy.newProxyInstance(port.getClassLoader(), new Class<?>[] {port}, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("toString") ? port.getSimpleName() : null;
            }
            throw new UnsupportedOperationException("registration never calls " + port.getSimpleName());
        }));
    }

    static UseCases useCases() {
        return new UseCases(
                new ConfigUseCases(unused(PublishConfigUseCase.class), unused(GetConfigQuery.class),
                        unused(WatchConfigQuery.class), unused(RollbackConfigUseCase.class),
                        unused(ValidateConfigQuery.class), unused(ConfigHistoryQuery.class),
                        unused(io.pgfleet.application.port.in.RestoredStatusUseCase.class)),
                new CollectorUseCases(unused(ProvisionCollectorUseCase.class), unused(RegisterCollectorUseCase.class),
                        unused(IssueEnrolmentTokenUseCase.class), unused(RevokeCollectorUseCase.class),
                        unused(io.pgfleet.application.port.in.DecommissionedQuery.class)),
                new AccessUseCases(unused(AuthenticateQuery.class), unused(LoginUseCase.class),
                        unused(RefreshTokenUseCase.class),
                        unused(io.pgfleet.application.port.in.EndSessionUseCase.class), unused(ManageUsersUseCase.class),
                        unused(RotateSigningKeyUseCase.class), unused(BootstrapSecurityUseCase.class),
                        unused(io.pgfleet.application.port.in.CallerWatchesUseCase.class)),
                new FleetUseCases(unused(ReportStatusUseCase.class), unused(PushMetricsUseCase.class),
                        unused(FleetQuery.class)),
                new OperationsUseCases(unused(AuditTrailQuery.class), unused(HealthQuery.class),
                        unused(PurgeExpiredDataUseCase.class),
                        unused(io.pgfleet.application.port.in.WarmUpUseCase.class)),
                new io.pgfleet.application.port.in.LayerUseCases(
                        unused(io.pgfleet.application.port.in.PublishLayerUseCase.class),
                        unused(io.pgfleet.application.port.in.LayerQuery.class),
                        unused(io.pgfleet.application.port.in.ManageGroupsUseCase.class),
                        unused(io.pgfleet.application.port.in.ManageCollectorLabelsUseCase.class),
                        unused(io.pgfleet.application.port.in.ExplainEffectiveQuery.class),
                        unused(io.pgfleet.application.port.in.OwnConfigQuery.class),
                        unused(io.pgfleet.application.port.in.CheckCapabilitiesQuery.class),
                        unused(io.pgfleet.application.port.in.CompleteEffectiveRevisionsUseCase.class)),
                new io.pgfleet.application.port.in.RolloutUseCases(
                        unused(io.pgfleet.application.port.in.StartRolloutUseCase.class),
                        unused(io.pgfleet.application.port.in.ControlRolloutUseCase.class),
                        unused(io.pgfleet.application.port.in.RolloutQuery.class),
                        unused(io.pgfleet.application.port.in.DriveRolloutsUseCase.class)));
    }

    static ApiRoutes apiRoutes() {
        HttpRouting.Builder routing = HttpRouting.builder();
        ApiRoutes routes = HttpApi.routes(routing, useCases(), new HttpMetrics(new SimpleMeterRegistry(), names -> ""),
                HttpLimits.defaults());
        routing.build();
        return routes;
    }

    /** The rule: every registered route has a declared access, and only the known public ones are open. */
    static void assertEveryRouteDeclaresItsAccess(ApiRoutes routes) {
        if (!routes.undeclared().isEmpty()) {
            fail("routes without a declared operation: " + routes.undeclared());
        }
        Set<String> seen = new HashSet<>();
        for (ApiRoutes.DeclaredRoute r : routes.declared()) {
            String name = r.method().text() + " " + r.template();
            assertTrue(seen.add(name), "declared twice: " + name);
            boolean open = r.access() instanceof RouteAccess.Open;
            assertEquals(OPEN.contains(name), open, name + " is " + r.access() + "; open routes are only " + OPEN);
        }
    }

    @Test
    void everyRouteOfTheApiDeclaresItsAccess() {
        ApiRoutes routes = apiRoutes();
        assertTrue(routes.declared().size() >= 20, "the whole API was walked: " + routes.declared());
        assertEveryRouteDeclaresItsAccess(routes);
        assertTrue(routes.declared().contains(new ApiRoutes.DeclaredRoute(Method.PUT, "/api/v1/config/{id}",
                RouteAccess.onCollectorInPath(Operation.PUBLISH_CONFIG))), routes.declared().toString());
        assertTrue(routes.declared().contains(new ApiRoutes.DeclaredRoute(Method.POST, "/api/v1/collectors",
                RouteAccess.allowed(Operation.PROVISION_COLLECTOR))), routes.declared().toString());
    }

    @Test
    void everyRouteAboutALiveCollectorAnswersADecommissionedIdBeforeItJudgesTheRequest() {
        ApiRoutes routes = apiRoutes();
        Set<String> first = new HashSet<>();
        routes.decommissionedFirst().forEach(r -> first.add(r.method().text() + " " + r.template()));
        assertEquals(Set.of("GET /api/v1/config/{id}", "PUT /api/v1/config/{id}", "POST /api/v1/config/{id}/rollback",
                "GET /api/v1/config/{id}/own", "GET /api/v1/collectors/{id}", "GET /api/v1/collectors/{id}/effective",
                "PATCH /api/v1/collectors/{id}", "DELETE /api/v1/collectors/{id}",
                "POST /api/v1/collectors/{id}/enrolment-token", "POST /api/v1/collectors/{id}/revoke"), first);
        // Every other route naming a collector reads its history (kept after a decommission, its
        // parameters judged as for any collector) or is the collector's own (its token is refused first).
        Set<String> others = new HashSet<>();
        routes.declared().stream().filter(r -> r.template().matches("/api/v1/(config|collectors)/\\{id}.*"))
                .map(r -> r.method().text() + " " + r.template()).filter(r -> !first.contains(r)).forEach(others::add);
        assertEquals(Set.of("GET /api/v1/config/{id}/versions", "GET /api/v1/config/{id}/versions/{version}",
                "GET /api/v1/config/{id}/diff", "GET /api/v1/collectors/{id}/metrics",
                "POST /api/v1/collectors/{id}/status"), others);
    }

    @Test
    void aRouteRegisteredWithoutAnOperationFailsTheWalk() {
        HttpRouting.Builder routing = HttpRouting.builder();
        ApiRoutes routes = new ApiRoutes(routing, unused(AuthenticateQuery.class),
                unused(io.pgfleet.application.port.in.CallerWatchesUseCase.class),
                unused(io.pgfleet.application.port.in.DecommissionedQuery.class))
                .service("/fixture", rules -> rules.get("/declared", RouteAccess.allowed(Operation.READ_AUDIT),
                        (req, res) -> res.send("ok")))
                .register("/fixture", rules -> rules.get("/forgotten", (req, res) -> res.send("open to anyone")));
        routing.build();
        assertEquals(List.of(new ApiRoutes.DeclaredRoute(Method.GET, "/fixture/declared",
                RouteAccess.allowed(Operation.READ_AUDIT))), routes.declared());
        assertFalse(routes.undeclared().isEmpty());
        AssertionError failure = assertThrows(AssertionError.class, () -> assertEveryRouteDeclaresItsAccess(routes));
        assertTrue(failure.getMessage().contains("/fixture"), failure.getMessage());
    }

    @Test
    void aPublicRouteMustBeOneOfTheKnownOpenOnes() {
        HttpRouting.Builder routing = HttpRouting.builder();
        ApiRoutes routes = new ApiRoutes(routing, unused(AuthenticateQuery.class),
                unused(io.pgfleet.application.port.in.CallerWatchesUseCase.class),
                unused(io.pgfleet.application.port.in.DecommissionedQuery.class))
                .service("/api/v1/secrets", rules -> rules.get("/", RouteAccess.open("oops"), (req, res) -> res.send("x")));
        routing.build();
        assertThrows(AssertionError.class, () -> assertEveryRouteDeclaresItsAccess(routes));
    }
}
