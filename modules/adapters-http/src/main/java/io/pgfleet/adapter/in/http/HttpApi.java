package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.AuditTrailQuery;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.IssueEnrolmentTokenUseCase;
import io.pgfleet.application.port.in.LoginUseCase;
import io.pgfleet.application.port.in.ManageUsersUseCase;
import io.pgfleet.application.port.in.RefreshTokenUseCase;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.RevokeCollectorUseCase;
import io.pgfleet.application.port.in.RotateSigningKeyUseCase;
import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.HealthQuery;
import io.pgfleet.application.port.in.PushMetricsUseCase;
import io.pgfleet.application.port.in.ReportStatusUseCase;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.in.ValidateConfigQuery;
import io.pgfleet.application.port.in.WatchConfigQuery;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.out.StorageUnavailableException;

import java.util.Objects;

/**
 * The HTTP API v1: registers every route on a Helidon routing and maps failures to problem details.
 */
public final class HttpApi {

    private static final System.Logger LOG = System.getLogger(HttpApi.class.getName());

    /**
     * The use cases the API drives.
     *
     * @param publishConfig      publishing configurations
     * @param getConfig          reading configurations
     * @param watchConfig        long-poll watches
     * @param provisionCollector pre-provisioning collectors
     * @param rollbackConfig     rolling back
     * @param validateConfig     dry-run validation
     * @param configHistory      reading history
     * @param auditTrail         reading the audit trail
     * @param security           identity and access
     * @param fleet              agents' reports and samples, the fleet view
     * @param health             readiness
     */
    public record UseCases(PublishConfigUseCase publishConfig, GetConfigQuery getConfig, WatchConfigQuery watchConfig,
                           ProvisionCollectorUseCase provisionCollector, RollbackConfigUseCase rollbackConfig,
                           ValidateConfigQuery validateConfig, ConfigHistoryQuery configHistory,
                           AuditTrailQuery auditTrail, SecurityUseCases security, FleetUseCases fleet,
                           HealthQuery health) {
        /** Requires every use case. */
        public UseCases {
            Objects.requireNonNull(publishConfig, "publishConfig");
            Objects.requireNonNull(getConfig, "getConfig");
            Objects.requireNonNull(watchConfig, "watchConfig");
            Objects.requireNonNull(provisionCollector, "provisionCollector");
            Objects.requireNonNull(rollbackConfig, "rollbackConfig");
            Objects.requireNonNull(validateConfig, "validateConfig");
            Objects.requireNonNull(configHistory, "configHistory");
            Objects.requireNonNull(auditTrail, "auditTrail");
            Objects.requireNonNull(security, "security");
            Objects.requireNonNull(fleet, "fleet");
            Objects.requireNonNull(health, "health");
        }
    }

    /**
     * The fleet use cases.
     *
     * @param reportStatus agents reporting apply outcomes
     * @param pushMetrics  agents pushing samples
     * @param query        the fleet view and samples
     */
    public record FleetUseCases(ReportStatusUseCase reportStatus, PushMetricsUseCase pushMetrics, FleetQuery query) {
        /** Requires every use case. */
        public FleetUseCases {
            Objects.requireNonNull(reportStatus, "reportStatus");
            Objects.requireNonNull(pushMetrics, "pushMetrics");
            Objects.requireNonNull(query, "query");
        }
    }

    /**
     * The identity and access use cases.
     *
     * @param authenticate      authenticating and authorising requests
     * @param login             logging in
     * @param refresh           refreshing tokens
     * @param register          agents registering
     * @param enrolment         issuing enrolment tokens
     * @param users             managing users
     * @param rotateSigningKey  rotating the signing key
     * @param revoke            revoking collectors
     */
    public record SecurityUseCases(AuthenticateQuery authenticate, LoginUseCase login, RefreshTokenUseCase refresh,
                                   RegisterCollectorUseCase register, IssueEnrolmentTokenUseCase enrolment,
                                   ManageUsersUseCase users, RotateSigningKeyUseCase rotateSigningKey,
                                   RevokeCollectorUseCase revoke) {
        /** Requires every use case. */
        public SecurityUseCases {
            Objects.requireNonNull(authenticate, "authenticate");
            Objects.requireNonNull(login, "login");
            Objects.requireNonNull(refresh, "refresh");
            Objects.requireNonNull(register, "register");
            Objects.requireNonNull(enrolment, "enrolment");
            Objects.requireNonNull(users, "users");
            Objects.requireNonNull(rotateSigningKey, "rotateSigningKey");
            Objects.requireNonNull(revoke, "revoke");
        }
    }

    private HttpApi() {
    }

    /**
     * Registers the API's routes, error mapping and metrics.
     *
     * @param routing  the routing to add to
     * @param useCases what the routes call
     * @param metrics  where the API counts, served at {@code /observe/metrics}
     */
    public static void register(HttpRouting.Builder routing, UseCases useCases, HttpMetrics metrics) {
        register(routing, useCases, metrics, HttpLimits.defaults());
    }

    /**
     * Registers the API's routes, error mapping and metrics, with given limits.
     *
     * @param routing  the routing to add to
     * @param useCases what the routes call
     * @param metrics  where the API counts, served at {@code /observe/metrics}
     * @param limits   trusted proxies and watch limits
     */
    public static void register(HttpRouting.Builder routing, UseCases useCases, HttpMetrics metrics, HttpLimits limits) {
        SecurityUseCases sec = useCases.security();
        Access access = new Access(sec.authenticate());
        routing.addFilter(metrics.requestTimer())
                .addFilter(new TrustedProxies(limits.trustedProxies()))
                .addFilter(new AuthenticationFilter(sec.authenticate()))
                .get("/observe/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                })
                .register("/api/v1/config", new ConfigHttpService(useCases.publishConfig(), useCases.getConfig(),
                        useCases.watchConfig(), useCases.rollbackConfig(), useCases.validateConfig(), useCases.configHistory(), access,
                        metrics, new WatchLimiter(limits.watchesPerCollector())))
                .register("/api/v1/collectors", new CollectorsHttpService(useCases.provisionCollector(),
                        sec.register(), sec.enrolment(), sec.revoke(), access))
                .register("/api/v1/audit", new AuditHttpService(useCases.auditTrail(), access))
                .register("/api/v1/auth", new AuthHttpService(sec.login(), sec.refresh(), sec.rotateSigningKey(), access))
                .register("/api/v1/users", new UsersHttpService(sec.users(), access))
                .register("/api/v1", new FleetHttpService(useCases.fleet().reportStatus(), useCases.fleet().pushMetrics(),
                        useCases.fleet().query(), access, metrics))
                .register("/observe/health", new HealthHttpService(useCases.health()))
                .any("/api/*", (req, res) -> Problem.notFound("no-such-endpoint",
                        "there is no " + req.prologue().method().text() + " " + req.path().path()).send(res))
                .error(ApiException.class, (req, res, e) -> e.problem().send(res))
                .error(StorageUnavailableException.class, HttpApi::storageUnavailable)
                .error(InterruptedException.class, (req, res, e) -> {
                    // Closing the connection sends the client to a fresh one (another instance, or this one restarted).
                    res.header(HeaderNames.CONNECTION, "close");
                    new Problem(Status.SERVICE_UNAVAILABLE_503, "shutting-down", "The server is stopping",
                            "try again on another instance or in a moment").send(res);
                })
                .error(IllegalArgumentException.class, (req, res, e) -> Problem.badRequest(e.getMessage()).send(res))
                .error(Exception.class, HttpApi::unexpected);
    }

    private static void storageUnavailable(ServerRequest req, ServerResponse res, StorageUnavailableException e) {
        LOG.log(System.Logger.Level.WARNING, "storage unavailable for " + req.prologue().method().text() + " " + req.path().path(), e);
        res.header("Retry-After", "5");
        res.header(HeaderNames.CONNECTION, "close");
        new Problem(Status.SERVICE_UNAVAILABLE_503, "storage-unavailable", "The database is unavailable",
                "the request was not carried out; try again shortly").send(res);
    }

    private static void unexpected(ServerRequest req, ServerResponse res, Exception e) {
        LOG.log(System.Logger.Level.ERROR, "unexpected failure for " + req.prologue().method().text() + " " + req.path().path(), e);
        new Problem(Status.INTERNAL_SERVER_ERROR_500, "internal-error", "Internal error",
                "the request failed unexpectedly and was not carried out; the server log has the details").send(res);
    }
}
