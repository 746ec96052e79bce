package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.UseCases;
import io.pgfleet.application.port.out.StorageUnavailableException;

/**
 * The HTTP API v1: registers every route on a Helidon routing and maps failures to problem details.
 */
public final class HttpApi {

    private static final System.Logger LOG = System.getLogger(HttpApi.class.getName());

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
        AuthenticateQuery authenticate = useCases.access().authenticate();
        Access access = new Access(authenticate);
        routing.addFilter(metrics.requestTimer())
                .addFilter(new AuthenticationFilter(authenticate))
                .get("/observe/metrics", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    res.send(metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                })
                .register("/api/v1/config", new ConfigHttpService(useCases.config(), access, metrics))
                .register("/api/v1/collectors", new CollectorsHttpService(useCases.collectors(), access))
                .register("/api/v1/audit", new AuditHttpService(useCases.operations().audit(), access))
                .register("/api/v1/auth", new AuthHttpService(useCases.access(), access))
                .register("/api/v1/users", new UsersHttpService(useCases.access().users(), access))
                .register("/api/v1", new FleetHttpService(useCases.fleet(), access, metrics))
                .register("/observe/health", new HealthHttpService(useCases.operations().health()))
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
