package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.AuditTrailQuery;
import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.in.ValidateConfigQuery;
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
     * @param provisionCollector pre-provisioning collectors
     * @param rollbackConfig     rolling back
     * @param validateConfig     dry-run validation
     * @param configHistory      reading history
     * @param auditTrail         reading the audit trail
     */
    public record UseCases(PublishConfigUseCase publishConfig, GetConfigQuery getConfig,
                           ProvisionCollectorUseCase provisionCollector, RollbackConfigUseCase rollbackConfig,
                           ValidateConfigQuery validateConfig, ConfigHistoryQuery configHistory,
                           AuditTrailQuery auditTrail) {
        /** Requires every use case. */
        public UseCases {
            Objects.requireNonNull(publishConfig, "publishConfig");
            Objects.requireNonNull(getConfig, "getConfig");
            Objects.requireNonNull(provisionCollector, "provisionCollector");
            Objects.requireNonNull(rollbackConfig, "rollbackConfig");
            Objects.requireNonNull(validateConfig, "validateConfig");
            Objects.requireNonNull(configHistory, "configHistory");
            Objects.requireNonNull(auditTrail, "auditTrail");
        }
    }

    private HttpApi() {
    }

    /**
     * Registers the API's routes and error mapping.
     *
     * @param routing  the routing to add to
     * @param useCases what the routes call
     */
    public static void register(HttpRouting.Builder routing, UseCases useCases) {
        routing.register("/api/v1/config", new ConfigHttpService(useCases.publishConfig(), useCases.getConfig(),
                        useCases.rollbackConfig(), useCases.validateConfig(), useCases.configHistory()))
                .register("/api/v1/collectors", new CollectorsHttpService(useCases.provisionCollector()))
                .register("/api/v1/audit", new AuditHttpService(useCases.auditTrail()))
                .any("/api/*", (req, res) -> Problem.notFound("no-such-endpoint",
                        "there is no " + req.prologue().method().text() + " " + req.path().path()).send(res))
                .error(ApiException.class, (req, res, e) -> e.problem().send(res))
                .error(StorageUnavailableException.class, HttpApi::storageUnavailable)
                .error(IllegalArgumentException.class, (req, res, e) -> Problem.badRequest(e.getMessage()).send(res))
                .error(Exception.class, HttpApi::unexpected);
    }

    private static void storageUnavailable(ServerRequest req, ServerResponse res, StorageUnavailableException e) {
        LOG.log(System.Logger.Level.WARNING, "storage unavailable for " + req.prologue().method().text() + " " + req.path().path(), e);
        res.header("Retry-After", "5");
        new Problem(Status.SERVICE_UNAVAILABLE_503, "storage-unavailable", "The database is unavailable",
                "the request was not carried out; try again shortly").send(res);
    }

    private static void unexpected(ServerRequest req, ServerResponse res, Exception e) {
        LOG.log(System.Logger.Level.ERROR, "unexpected failure for " + req.prologue().method().text() + " " + req.path().path(), e);
        new Problem(Status.INTERNAL_SERVER_ERROR_500, "internal-error", "Internal error",
                "the request failed unexpectedly and was not carried out; the server log has the details").send(res);
    }
}
