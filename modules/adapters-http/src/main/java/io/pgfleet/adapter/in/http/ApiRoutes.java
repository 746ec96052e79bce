package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRoute;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.application.port.in.CallerWatchesUseCase;
import io.pgfleet.application.port.in.DecommissionedQuery;
import io.pgfleet.domain.access.AccessDecision;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.collector.CollectorId;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The API's route table: every route is registered here with the access it requires
 * ({@link RouteAccess}), and this is the one place where that access is enforced — authentication
 * of the bearer token, then the domain's access policy — before the handler runs. The matched
 * route is put into the request context, where {@link HttpMetrics} takes its template as a tag.
 *
 * <p>Routes that reach the routing any other way (a plain Helidon {@link HttpService} handed to
 * {@link #register(String, HttpService)}) are recorded as undeclared; a test walks the table and
 * fails on any.
 */
final class ApiRoutes {

    private static final System.Logger LOG = System.getLogger(ApiRoutes.class.getName());

    /**
     * A route as declared.
     *
     * @param method   HTTP method
     * @param template full path template, e.g. {@code /api/v1/config/{id}}
     * @param access   what it requires of the caller
     */
    record DeclaredRoute(Method method, String template, RouteAccess access) {
        DeclaredRoute {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(template, "template");
            Objects.requireNonNull(access, "access");
        }

        /** The first segment after {@code /api/v1/}, or {@code observe}: a coarse tag for dashboards. */
        String area() {
            if (template.startsWith("/api/v1/")) {
                String rest = template.substring("/api/v1/".length());
                int slash = rest.indexOf('/');
                return slash < 0 ? rest : rest.substring(0, slash);
            }
            return template.startsWith("/observe") ? "observe" : "other";
        }
    }

    private final HttpRouting.Builder routing;
    private final AuthenticateQuery auth;
    private final CallerWatchesUseCase callers;
    private final List<DeclaredRoute> declared = new CopyOnWriteArrayList<>();
    private final List<String> undeclared = new CopyOnWriteArrayList<>();
    private final List<DeclaredRoute> decommissionedFirst = new CopyOnWriteArrayList<>();
    private final DecommissionedFirst gone;

    ApiRoutes(HttpRouting.Builder routing, AuthenticateQuery auth, CallerWatchesUseCase callers,
              DecommissionedQuery decommissioned) {
        this.routing = routing;
        this.auth = auth;
        this.callers = callers;
        this.gone = new DecommissionedFirst(decommissioned);
    }

    /**
     * Registers a group of declared routes under a prefix.
     *
     * @param prefix  e.g. {@code /api/v1/config}
     * @param service its routes
     * @return this
     */
    ApiRoutes service(String prefix, ApiService service) {
        routing.register(prefix, (HttpService) rules -> service.routes(new Rules(prefix, rules)));
        return this;
    }

    /**
     * Registers a plain Helidon service: its routes carry no declared access and are listed by
     * {@link #undeclared()}. The API itself never does this; it exists so that such a route cannot
     * slip in unseen.
     *
     * @param prefix  where it is mounted
     * @param service the service
     * @return this
     */
    ApiRoutes register(String prefix, HttpService service) {
        routing.register(prefix, (HttpService) rules -> service.routing(new Undeclared(prefix, rules)));
        return this;
    }

    /** Every declared route, in registration order (complete once the routing is built). */
    List<DeclaredRoute> declared() {
        return List.copyOf(declared);
    }

    /**
     * The methods declared for a path, whatever the request's own method: a path the API knows asked
     * with another method is a {@code 405} naming these in {@code Allow}, not a {@code 404}.
     *
     * @param path the request's path, as received (not decoded)
     * @return the methods, in registration order, without repeats; empty for a path no route has
     */
    List<String> methodsOf(String path) {
        String[] asked = path.split("/", -1);
        return declared.stream().filter(r -> matches(r.template().split("/", -1), asked))
                .map(r -> r.method().text()).distinct().toList();
    }

    private static boolean matches(String[] template, String[] asked) {
        if (template.length != asked.length) {
            return false;
        }
        for (int i = 0; i < template.length; i++) {
            boolean parameter = template[i].startsWith("{") && template[i].endsWith("}") && !asked[i].isEmpty();
            if (!parameter && !template[i].equals(asked[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The routes about one live collector, which answer a decommissioned collector's id before they
     * judge the request ({@link DecommissionedFirst}), in registration order (complete once the
     * routing is built).
     */
    List<DeclaredRoute> decommissionedFirst() {
        return List.copyOf(decommissionedFirst);
    }

    /** Routes registered without a declared access (complete once the routing is built). */
    List<String> undeclared() {
        return List.copyOf(undeclared);
    }

    /** Declares routes of one prefix, each with its access. */
    final class Rules {

        private final String prefix;
        private final HttpRules rules;

        private Rules(String prefix, HttpRules rules) {
            this.prefix = prefix;
            this.rules = rules;
        }

        Rules get(String path, RouteAccess access, Handler handler) {
            return route(Method.GET, path, access, handler);
        }

        Rules post(String path, RouteAccess access, Handler handler) {
            return route(Method.POST, path, access, handler);
        }

        Rules put(String path, RouteAccess access, Handler handler) {
            return route(Method.PUT, path, access, handler);
        }

        Rules patch(String path, RouteAccess access, Handler handler) {
            return route(Method.PATCH, path, access, handler);
        }

        Rules delete(String path, RouteAccess access, Handler handler) {
            return route(Method.DELETE, path, access, handler);
        }

        Rules head(String path, RouteAccess access, Handler handler) {
            return route(Method.HEAD, path, access, handler);
        }

        Rules route(Method method, String path, RouteAccess access, Handler handler) {
            DeclaredRoute route = new DeclaredRoute(method, path.equals("/") && !prefix.isEmpty() ? prefix : prefix + path,
                    access);
            declared.add(route);
            if (handler instanceof DecommissionedFirst.Route) {
                decommissionedFirst.add(route);
            }
            rules.route(method, path, guarded(route, handler));
            return this;
        }
    }

    private Handler guarded(DeclaredRoute route, Handler handler) {
        java.util.Optional<java.util.Set<String>> queries = DeclaredQueries.api().of(route.method().text(), route.template());
        java.util.Set<String> conditions = DeclaredPreconditions.api().takes(route.method().text(), route.template());
        return (req, res) -> {
            req.context().register(route);
            if (!(route.access() instanceof RouteAccess.Open)) {
                Optional<String> token = bearer(req, res);
                if (token.isEmpty()) {
                    return;
                }
                // Before the check: a held watch registered after it ends at once if its caller
                // changed meanwhile (CallerWatchesUseCase#hold).
                CallerWatchesUseCase.Mark checkedAt = callers.mark();
                Optional<Authentication.Authenticated> caller = authenticate(req, res, token.get(), false);
                if (caller.isEmpty()) {
                    return;
                }
                // Parsed once: a held watch decides its access again when it answers, and a thousand
                // watchers woken by one change each do that at the same moment.
                Optional<CollectorId> pathId = route.access() instanceof RouteAccess.OnCollectorInPath
                        ? Optional.of(PathParams.collectorId(req)) : Optional.empty();
                authorize(route, caller.get().principal(), pathId);
                req.context().register(new Recheck(() -> {
                    Optional<Authentication.Authenticated> still = authenticate(req, res, token.get(), true);
                    still.ifPresent(a -> authorize(route, a.principal(), pathId));
                    return still.isPresent();
                }, checkedAt, caller.get().session()));
            }
            if (handler instanceof DecommissionedFirst.Route) {
                // A route about a live collector: its id is parsed before the request is judged (a
                // malformed id was never a collector's), then its query and the rest are judged.
                CollectorId id = PathParams.collectorId(req);
                gone.run(res, id, () -> {
                    DeclaredQueries.check(req, route.method().text(), route.template(), queries);
                    DeclaredPreconditions.check(req, route.method(), route.template(), conditions);
                    handler.handle(req, res);
                });
                return;
            }
            DeclaredQueries.check(req, route.method().text(), route.template(), queries);
            DeclaredPreconditions.check(req, route.method(), route.template(), conditions);
            handler.handle(req, res);
        };
    }

    private void authorize(DeclaredRoute route, Principal p, Optional<CollectorId> pathId) {
        switch (route.access()) {
            case RouteAccess.Open open -> throw new IllegalStateException("an open route has no caller to authorise");
            case RouteAccess.Allowed a -> check(auth.authorize(p, a.operation()));
            case RouteAccess.OnCollectorInPath c -> check(auth.authorize(p, c.operation(), pathId.orElseThrow()));
            case RouteAccess.OnOwnCollector own -> {
                CollectorId self = p.collectorId().orElseThrow(() -> new ApiException(new Problem(Status.FORBIDDEN_403,
                        ProblemType.FORBIDDEN, "Not allowed", "only a collector may do this, for itself")));
                check(auth.authorize(p, own.operation(), self));
            }
        }
    }

    /**
     * The check {@link ApiRoutes} made before a guarded handler ran, to make again: a request that
     * waits (a held watch) must not answer a caller that was revoked, disabled, decommissioned or
     * demoted meanwhile. Registered in the request context of every guarded route.
     *
     * @param check authenticates the request's token again (its subject's activity as every request
     *              checks it) and decides the route's access again; false when a 401 was sent, and
     *              throws {@link ApiException} (403) when the access is now denied
     * @param checkedAt how far this instance's news of changed callers had come before the first
     *                  check ({@link CallerWatchesUseCase#hold})
     * @param session   the session the caller's token was issued in, if it names one
     */
    record Recheck(java.util.function.BooleanSupplier check, CallerWatchesUseCase.Mark checkedAt,
                   Optional<String> session) {
    }

    /** The bearer token of the request, or empty when a 401 was sent. */
    private static Optional<String> bearer(ServerRequest req, ServerResponse res) {
        String header = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        if (header.isEmpty()) {
            unauthorized(res, "this endpoint needs 'Authorization: Bearer <access token>'; get one from POST /api/v1/auth/login",
                    "Bearer realm=\"pgfleet\"");
            return Optional.empty();
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            unauthorized(res, "the Authorization header must be 'Bearer <access token>'",
                    "Bearer realm=\"pgfleet\", error=\"invalid_request\"");
            return Optional.empty();
        }
        return Optional.of(header.substring(7).trim());
    }

    /**
     * The caller behind the bearer token, or empty when a 401 was sent; {@code again} for a request
     * that was checked before and waited ({@link AuthenticateQuery#authenticateAgain}), whose
     * caller is in the request context already (a demotion meanwhile is decided by its access check).
     */
    private Optional<Authentication.Authenticated> authenticate(ServerRequest req, ServerResponse res, String token,
                                                                boolean again) {
        return switch (again ? auth.authenticateAgain(token) : auth.authenticate(token)) {
            case Authentication.Authenticated a -> {
                if (!again) {
                    req.context().register(a.principal());
                }
                yield Optional.of(a);
            }
            case Authentication.Rejected r -> {
                LOG.log(System.Logger.Level.DEBUG, "token rejected for " + req.path().path() + ": " + r.reason());
                unauthorized(res, "the access token is not accepted (" + r.reason() + "); log in or refresh",
                        "Bearer realm=\"pgfleet\", error=\"invalid_token\"");
                yield Optional.empty();
            }
        };
    }

    private static void unauthorized(ServerResponse res, String detail, String challenge) {
        res.header(HeaderNames.WWW_AUTHENTICATE, challenge);
        new Problem(Status.UNAUTHORIZED_401, ProblemType.UNAUTHORIZED, "Authentication required", detail).send(res);
    }

    private static void check(AccessDecision decision) {
        if (decision instanceof AccessDecision.Denied denied) {
            throw new ApiException(new Problem(Status.FORBIDDEN_403, ProblemType.FORBIDDEN, "Not allowed", denied.reason()));
        }
    }

    /** Helidon rules that record every route added through them as undeclared. */
    private final class Undeclared implements HttpRules {

        private final String prefix;
        private final HttpRules delegate;

        private Undeclared(String prefix, HttpRules delegate) {
            this.prefix = prefix;
            this.delegate = delegate;
        }

        @Override
        public HttpRules register(HttpService... services) {
            for (HttpService s : services) {
                delegate.register((HttpService) rules -> s.routing(new Undeclared(prefix, rules)));
            }
            return this;
        }

        @Override
        public HttpRules register(String path, HttpService... services) {
            for (HttpService s : services) {
                delegate.register(path, (HttpService) rules -> s.routing(new Undeclared(prefix + path, rules)));
            }
            return this;
        }

        @Override
        public HttpRules route(HttpRoute route) {
            undeclared.add("a route under '" + prefix + "' registered without a declared access");
            delegate.route(route);
            return this;
        }
    }
}
