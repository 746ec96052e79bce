package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.domain.access.AccessDecision;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.collector.CollectorId;

/**
 * Authorisation at the top of every handler; the decision is the application's.
 */
final class Access {

    private final AuthenticateQuery auth;

    Access(AuthenticateQuery auth) {
        this.auth = auth;
    }

    Principal require(ServerRequest req, Operation operation) {
        Principal p = Callers.principal(req);
        check(auth.authorize(p, operation));
        return p;
    }

    Principal require(ServerRequest req, Operation operation, CollectorId target) {
        Principal p = Callers.principal(req);
        check(auth.authorize(p, operation, target));
        return p;
    }

    private static void check(AccessDecision decision) {
        if (decision instanceof AccessDecision.Denied denied) {
            throw new ApiException(new Problem(Status.FORBIDDEN_403, "forbidden", "Not allowed", denied.reason()));
        }
    }
}
