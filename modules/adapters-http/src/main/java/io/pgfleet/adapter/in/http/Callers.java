package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.identity.Actor;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Who is calling: the {@link Principal} that {@link ApiRoutes} put into the request
 * context, and the client address.
 */
final class Callers {

    private Callers() {
    }

    static Principal principal(ServerRequest req) {
        return req.context().get(Principal.class).orElseThrow(() -> new ApiException(new Problem(
                Status.UNAUTHORIZED_401, ProblemType.UNAUTHORIZED, "Authentication required", "no authenticated caller")));
    }

    /**
     * Checks again, before a request that waited answers, that its caller still may make it: the
     * same check of the token and of its subject (a revoked collector, a disabled user) that every
     * request passes before its handler runs, and the route's access.
     *
     * @param req the request
     * @return true when the caller still may; false when a 401 was sent and the handler must send nothing
     * @throws ApiException 403 when the caller is still known but may no longer do this
     */
    static boolean stillAllowed(ServerRequest req) {
        return req.context().get(ApiRoutes.Recheck.class).map(r -> r.check().getAsBoolean()).orElse(true);
    }

    /**
     * How far this instance's news of changed callers had come before the request's caller was
     * checked, for {@link io.pgfleet.application.port.in.CallerWatchesUseCase#hold}.
     *
     * @param req a request of a guarded route
     * @return the mark
     */
    static io.pgfleet.application.port.in.CallerWatchesUseCase.Mark checkedAt(ServerRequest req) {
        return req.context().get(ApiRoutes.Recheck.class).map(ApiRoutes.Recheck::checkedAt).orElseThrow(() ->
                new IllegalStateException("only a guarded route's request has a checked caller"));
    }

    /**
     * The session the checked caller's token was issued in, if it names one.
     *
     * @param req a request of a guarded route
     * @return the session
     */
    static java.util.Optional<String> session(ServerRequest req) {
        return req.context().get(ApiRoutes.Recheck.class).flatMap(ApiRoutes.Recheck::session);
    }

    static Actor actor(ServerRequest req) {
        return new Actor(principal(req).subject(), address(req));
    }

    static Actor anonymous(ServerRequest req) {
        return new Actor("anonymous", address(req));
    }

    static String address(ServerRequest req) {
        // Resolved once per request by TrustedProxies (X-Forwarded-For only from a trusted proxy).
        java.util.Optional<TrustedProxies.ClientAddress> resolved = req.context().get(TrustedProxies.ClientAddress.class);
        if (resolved.isPresent()) {
            return resolved.get().value();
        }
        SocketAddress peer = req.remotePeer().address();
        if (peer instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(peer);
    }
}
