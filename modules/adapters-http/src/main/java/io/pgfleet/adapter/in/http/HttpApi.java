package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.encoding.ContentEncodingContext;
import io.helidon.http.HttpException;
import io.helidon.http.NotFoundException;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.UseCases;
import io.pgfleet.application.port.out.DocumentParsingBusyException;
import io.pgfleet.application.port.out.StorageRejectedException;
import io.pgfleet.application.port.out.StorageBusyException;
import io.pgfleet.application.port.out.StorageUnavailableException;
import io.pgfleet.domain.common.ShownText;

/**
 * The HTTP API v1: registers every route on a Helidon routing and maps failures to problem details.
 */
import java.time.Duration;
import java.util.List;

public final class HttpApi {

    private static final System.Logger LOG = System.getLogger(HttpApi.class.getName());
    /** With the database away every request is answered 503: its stack trace once a minute, not per request. */
    private static final ThrottledWarning STORAGE_UNAVAILABLE = new ThrottledWarning(LOG, Duration.ofMinutes(1),
            System::nanoTime);

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
        routes(routing, useCases, metrics, limits);
    }

    /**
     * How the listener answers requests refused before routing (malformed request line, query or
     * headers, URI or headers too large): problem details like the rest of the API.
     *
     * @return handlers for the listener's {@code directHandlers}
     */
    public static DirectHandlers directHandlers() {
        return ProtocolErrors.handlers();
    }

    /**
     * The listener's HTTP/1.1 settings: Helidon's defaults, except that the request line's query is
     * checked by the API ({@code QueryCharacters}, RFC 3986's rule) rather than by Helidon 4.1, which
     * refuses the {@code :} of every unencoded instant.
     *
     * @return the protocol settings for the listener's {@code addProtocol}
     */
    public static io.helidon.webserver.http1.Http1Config http1() {
        return io.helidon.webserver.http1.Http1Config.builder().validatePrologue(false).build();
    }

    /**
     * The listener's answer to HTTP/1.0, which Helidon 4.1 does not speak and would close without
     * a word: {@code 505} with a problem saying to use HTTP/1.1, then the connection closed.
     *
     * @return a selector for the listener's {@code addConnectionSelector}, asked before Helidon's own
     */
    public static io.helidon.webserver.spi.ServerConnectionSelector http10() {
        return new OldHttpVersions(http1());
    }

    /**
     * The request content codings the listener accepts: {@code identity} (no coding) only; any
     * other {@code Content-Encoding} is answered {@code 415} before routing.
     *
     * @return the context for the listener's {@code contentEncoding}
     */
    public static ContentEncodingContext contentEncoding() {
        return IdentityOnlyEncoding.context();
    }

    /**
     * Registers everything and returns the route table, for tests that walk it.
     */
    static ApiRoutes routes(HttpRouting.Builder routing, UseCases useCases, HttpMetrics metrics, HttpLimits limits) {
        // First, so that it also sees the answers of the filters after it that refuse a request.
        HeadRequests head = new HeadRequests();
        routing.addFilter(new ConnectionClose())
                .addFilter(RequestLog.fromEnvironment().filter())
                .addFilter(metrics.requestTimer())
                .addFilter(new RequestFraming())
                // Before any filter that answers with a body: an answer to HEAD has none.
                .addFilter(head)
                .addFilter(new SingleValuedHeaders())
                .addFilter(new QueryCharacters())
                .addFilter(new TrustedProxies(limits.trustedProxies()));
        ApiRoutes routes = new ApiRoutes(routing, useCases.access().authenticate(),
                        useCases.access().callerWatches(), useCases.collectors().decommissioned())
                .service("/observe", rules -> rules.get("/metrics", RouteAccess.open("scraped by monitoring without a token"),
                        (req, res) -> {
                            res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                            res.send(metrics.scrape(useCases.fleet().query()::counts, QueryParams.names(req, "name[]",
                                    HttpMetrics.MAX_SCRAPE_NAMES)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        }))
                .service("/api/v1/openapi.json", new OpenApiHttpService())
                .service("/api/v1/config", new ConfigHttpService(useCases.config(), metrics,
                        new WatchLimiter(limits.watchesPerCollector()), useCases.access().callerWatches(),
                        useCases.collectors().decommissioned()))
                .service("/api/v1/collectors", new CollectorsHttpService(useCases.collectors()))
                .service("/api/v1/audit", new AuditHttpService(useCases.operations().audit()))
                .service("/api/v1/auth", new AuthHttpService(useCases.access(), metrics))
                .service("/api/v1/users", new UsersHttpService(useCases.access().users()))
                .service("/api/v1", new FleetHttpService(useCases.fleet(), metrics, useCases.collectors().decommissioned()))
                .service("/api/v1", new LayersHttpService(useCases.layers()))
                .service("/api/v1/rollouts", new RolloutsHttpService(useCases.rollouts()))
                .service("/observe/health", new HealthHttpService(useCases.operations().health()));
        head.routes(routes);
        WebConsole.register(routing);
        // Every error handler closes the connection after its answer when the request or the answer
        // says Connection: close (ConnectionClose says why Helidon does not).
        routing.error(ApiException.class, ConnectionClose.closing((req, res, e) -> {
                    if (e.closesConnection()) {
                        res.header(HeaderNames.CONNECTION, "close");
                    }
                    e.problem().send(res);
                    if (e.closesConnection()) {
                        // A body too large is read on a bounded remainder first (ApiException.bodyTooLarge); an
                        // unreadable one is closed at once, never read on as ConnectionClose would.
                        e.drainBody(req);
                        throw new io.helidon.webserver.CloseConnectionException("request body refused: " + e.problem().detail());
                    }
                }))
                .error(StorageUnavailableException.class, ConnectionClose.closing(HttpApi::storageUnavailable))
                .error(StorageRejectedException.class, ConnectionClose.closing(HttpApi::storageRejected))
                .error(DocumentParsingBusyException.class, ConnectionClose.closing(HttpApi::parsingBusy))
                .error(InterruptedException.class, ConnectionClose.closing((req, res, e) -> {
                    // Closing the connection sends the client to a fresh one (another instance, or this one restarted).
                    res.header(HeaderNames.CONNECTION, "close");
                    new Problem(Status.SERVICE_UNAVAILABLE_503, ProblemType.SHUTTING_DOWN, "The server is stopping",
                            "try again on another instance or in a moment").send(res);
                }))
                .error(IllegalArgumentException.class, ConnectionClose.closing((req, res, e) ->
                        Problem.badRequest(e.getMessage()).send(res)))
                .error(HttpException.class, ConnectionClose.closing((req, res, e) -> httpException(req, res, e, routes)))
                .error(Exception.class, ConnectionClose.closing(HttpApi::unexpected));
        return routes;
    }

    /**
     * Helidon's own refusals: no route for the path (404) or a request it cannot read (400); and
     * the static content's "not modified" (304), which Helidon signals as an exception too.
     * Unknown paths are an everyday event (scanners, browsers asking for /favicon.ico), not an error.
     */
    private static void httpException(ServerRequest req, ServerResponse res, HttpException e, ApiRoutes routes) {
        // An error answer starts from fresh headers: a console path keeps its policy (CSP, nosniff, no framing).
        WebConsole.addSecurityHeaders(req.path().absolute().path(), res::header);
        if (e.status() == Status.REQUESTED_RANGE_NOT_SATISFIABLE_416) {
            // RFC 9110 §14.4: a 416 says how long the file is, so the client can ask a range it has.
            WebConsole.file(req.path().absolute().path())
                    .ifPresent(file -> res.header(HeaderNames.CONTENT_RANGE, "bytes */" + file.length()));
        }
        if (e.status() == Status.NOT_MODIFIED_304) {
            // The console's static files answer a conditional GET this way: the browser's copy is current.
            res.status(Status.NOT_MODIFIED_304);
            res.send();
            return;
        }
        if (req.prologue().method() == io.helidon.http.Method.HEAD) {
            // A console file that is not there (other HEADs are HeadRequests'): the status alone.
            res.status(e.status());
            res.header(HeaderNames.CACHE_CONTROL, "no-store");
            res.send();
            return;
        }
        boolean notFound = e instanceof NotFoundException || e.status() == Status.NOT_FOUND_404;
        // The path as routing saw it (decoded, dot segments resolved): matched on the raw one, an id
        // holding "%2F" fitted a template that routing had not matched, and the 405 contradicted itself.
        String path = req.path().absolute().path();
        List<String> allowed = notFound ? routes.methodsOf(path) : List.of();
        if (notFound && allowed.isEmpty() && WebConsole.serves(path)) {
            // A console file takes what the static content does; any other method is not a missing path.
            allowed = WebConsole.METHODS;
        }
        if (!allowed.isEmpty()) {
            // The path exists, the method does not (RFC 9110 §15.5.6): say which ones do.
            res.header(HeaderNames.ALLOW, String.join(", ", allowed));
            new Problem(Status.METHOD_NOT_ALLOWED_405, ProblemType.METHOD_NOT_ALLOWED, "Method not allowed",
                    req.prologue().method().text() + " is not a method of " + path + "; it takes "
                            + String.join(", ", allowed)).send(res);
        } else if (notFound) {
            Problem.notFound(ProblemType.NO_SUCH_ENDPOINT, "there is no " + req.prologue().method().text() + " " + path).send(res);
        } else if (e.status() == Status.PRECONDITION_FAILED_412) {
            // The static content's If-Match or If-Unmodified-Since (a console file): no versioned
            // document, so not version-conflict, and not malformed, so not bad-request.
            WebConsole.preconditionFailed(path).send(res);
        } else if (e.status() == Status.REQUESTED_RANGE_NOT_SATISFIABLE_416) {
            new Problem(Status.REQUESTED_RANGE_NOT_SATISFIABLE_416, ProblemType.RANGE_NOT_SATISFIABLE, "Range not satisfiable",
                    "the Range header " + ShownText.quoted(req.headers().first(HeaderNames.RANGE).orElse(""))
                            + " names no bytes of " + path + " (a range ends before it starts, or starts past the end of the"
                            + " file); leave Range out to get the whole file").send(res);
        } else if (e.status().code() >= 400 && e.status().code() < 500) {
            new Problem(e.status(), ProblemType.BAD_REQUEST, "The request is malformed", e.getMessage()).send(res);
        } else {
            unexpected(req, res, e);
        }
    }

    private static void storageRejected(ServerRequest req, ServerResponse res, StorageRejectedException e) {
        LOG.log(System.Logger.Level.INFO, "the database refused a value for " + req.prologue().method().text() + " "
                + req.path().path() + ": " + e.getMessage());
        Problem.badRequest("the database refused a value of the request (" + e.getMessage() + "); nothing was stored")
                .send(res);
    }

    /** Seconds a client is asked to wait after {@code 429 overloaded} (docs/operations.md). */
    static final int OVERLOADED_RETRY_AFTER_SECONDS = 5;

    private static void storageUnavailable(ServerRequest req, ServerResponse res, StorageUnavailableException e) {
        if (e instanceof StorageBusyException) {
            // Load, not a lost database: the database answers, this instance's connections were all
            // busy for the pool's whole wait. Only a lost connection is a 503 (the spec's rule).
            LOG.log(System.Logger.Level.WARNING, "overloaded: no database connection free in time for "
                    + req.prologue().method().text() + " " + req.path().path());
            res.header("Retry-After", Integer.toString(OVERLOADED_RETRY_AFTER_SECONDS));
            new Problem(Status.TOO_MANY_REQUESTS_429, ProblemType.OVERLOADED, "The server is overloaded",
                    "every database connection of this instance was busy; the request was not carried out; try again after "
                            + OVERLOADED_RETRY_AFTER_SECONDS + " s").send(res);
            return;
        }
        STORAGE_UNAVAILABLE.warn("storage unavailable for " + req.prologue().method().text() + " " + req.path().path(), e);
        res.header("Retry-After", "5");
        res.header(HeaderNames.CONNECTION, "close");
        new Problem(Status.SERVICE_UNAVAILABLE_503, ProblemType.STORAGE_UNAVAILABLE, "The database is unavailable",
                "the request was not carried out; try again shortly").send(res);
    }

    /** Seconds a client is asked to wait when every configuration parsing slot is busy. */
    static final int PARSING_BUSY_RETRY_AFTER_SECONDS = 1;

    /**
     * Every slot parsing configuration documents is busy and its queue full: load, so 429 (503 means
     * a lost database in this API), as for a full password hashing pool. Nothing was carried out.
     */
    private static void parsingBusy(ServerRequest req, ServerResponse res, DocumentParsingBusyException e) {
        LOG.log(System.Logger.Level.WARNING, "overloaded: " + e.getMessage() + " for "
                + req.prologue().method().text() + " " + req.path().path());
        res.header("Retry-After", Integer.toString(PARSING_BUSY_RETRY_AFTER_SECONDS));
        new Problem(Status.TOO_MANY_REQUESTS_429, ProblemType.OVERLOADED, "The server is overloaded",
                "every slot for parsing configuration documents was busy; the request was not carried out; try again after "
                        + PARSING_BUSY_RETRY_AFTER_SECONDS + " s").send(res);
    }

    private static void unexpected(ServerRequest req, ServerResponse res, Exception e) {
        LOG.log(System.Logger.Level.ERROR, "unexpected failure for " + req.prologue().method().text() + " " + req.path().path(), e);
        new Problem(Status.INTERNAL_SERVER_ERROR_500, ProblemType.INTERNAL_ERROR, "Internal error",
                "the request failed unexpectedly and was not carried out; the server log has the details").send(res);
    }
}
