package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.Authentication;
import io.pgfleet.domain.access.Principal;

import java.util.Set;

/**
 * Every API request carries {@code Authorization: Bearer <access token>}, except logging in,
 * refreshing and registering. The authenticated {@link Principal} goes into the request context,
 * where handlers find it through {@link Callers}.
 */
final class AuthenticationFilter implements Filter {

    private static final System.Logger LOG = System.getLogger(AuthenticationFilter.class.getName());
    static final Set<String> PUBLIC = Set.of("/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/collectors/register");

    private final AuthenticateQuery auth;

    AuthenticationFilter(AuthenticateQuery auth) {
        this.auth = auth;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (!path.startsWith("/api/") || PUBLIC.contains(path)) {
            chain.proceed();
            return;
        }
        String header = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        if (header.isEmpty()) {
            unauthorized(res, "this endpoint needs 'Authorization: Bearer <access token>'; get one from POST /api/v1/auth/login",
                    "Bearer realm=\"pgfleet\"");
            return;
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            unauthorized(res, "the Authorization header must be 'Bearer <access token>'",
                    "Bearer realm=\"pgfleet\", error=\"invalid_request\"");
            return;
        }
        switch (auth.authenticate(header.substring(7).trim())) {
            case Authentication.Authenticated a -> {
                req.context().register(a.principal());
                chain.proceed();
            }
            case Authentication.Rejected r -> {
                LOG.log(System.Logger.Level.DEBUG, "token rejected for " + path + ": " + r.reason());
                unauthorized(res, "the access token is not accepted (" + r.reason() + "); log in or refresh",
                        "Bearer realm=\"pgfleet\", error=\"invalid_token\"");
            }
        }
    }

    private static void unauthorized(RoutingResponse res, String detail, String challenge) {
        res.header(HeaderNames.WWW_AUTHENTICATE, challenge);
        new Problem(Status.UNAUTHORIZED_401, "unauthorized", "Authentication required", detail).send(res);
    }
}
