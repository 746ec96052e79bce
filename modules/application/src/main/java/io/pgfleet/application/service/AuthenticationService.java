package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.application.port.out.AccessTokenPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadSessionPort;
import io.pgfleet.application.port.out.LoadUserPort;
import io.pgfleet.domain.access.AccessDecision;
import io.pgfleet.domain.access.AccessPolicy;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Clock;
import java.util.Optional;

final class AuthenticationService implements AuthenticateQuery {

    private final AccessTokenPort tokens;
    private final LoadUserPort users;
    private final LoadCollectorPort collectors;
    private final Clock clock;
    private final ActivePrincipals active;
    private final LoadSessionPort sessions;

    AuthenticationService(AccessTokenPort tokens, LoadUserPort users, LoadCollectorPort collectors,
                          LoadSessionPort sessions, Clock clock, ActivePrincipals active) {
        this.sessions = sessions;
        this.tokens = tokens;
        this.users = users;
        this.collectors = collectors;
        this.clock = clock;
        this.active = active;
    }

    @Override
    public Authentication authenticate(String accessToken) {
        return switch (tokens.verify(accessToken, clock.instant())) {
            case AccessTokenPort.TokenCheck.Invalid i -> new Authentication.Rejected(i.reason());
            case AccessTokenPort.TokenCheck.Valid v -> active.check(v, this::active);
        };
    }

    @Override
    public Authentication authenticateAgain(String accessToken) {
        return switch (tokens.verify(accessToken, clock.instant())) {
            case AccessTokenPort.TokenCheck.Invalid i -> new Authentication.Rejected(i.reason());
            case AccessTokenPort.TokenCheck.Valid v -> active.recheck(v, this::active);
        };
    }

    /**
     * A genuine token is not enough: its user must still be enabled with that role, its collector not
     * revoked, and the session it was issued in not ended (logged out, its refresh token reused, the
     * user's password changed): ending a session ends its access tokens too, not only its refresh
     * token.
     */
    private Authentication active(AccessTokenPort.TokenCheck.Valid token) {
        Principal p = token.principal();
        if (token.session().isPresent() && !sessions.isSessionLive(token.session().get())) {
            return new Authentication.Rejected("the session of " + p.subject() + " has ended");
        }
        if (p.role() == Role.COLLECTOR) {
            return collectors.loadCollector(CollectorId.of(p.subject()))
                    .filter(c -> !c.revoked())
                    .<Authentication>map(c -> new Authentication.Authenticated(p, token.session()))
                    .orElseGet(() -> new Authentication.Rejected("collector " + p.subject() + " is revoked or gone"));
        }
        Optional<User> user;
        try {
            user = users.loadUser(new Username(p.subject()));
        } catch (IllegalArgumentException e) {
            return new Authentication.Rejected("malformed subject");
        }
        if (user.isEmpty() || !user.get().enabled()) {
            return new Authentication.Rejected("user " + p.subject() + " is disabled or gone");
        }
        // A demoted user's older token must not keep the old role.
        Role role = user.get().role().atLeast(p.role()) ? p.role() : user.get().role();
        return new Authentication.Authenticated(new Principal(p.subject(), role), token.session());
    }

    @Override
    public AccessDecision authorize(Principal principal, Operation operation) {
        return AccessPolicy.decide(principal, operation, Optional.empty());
    }

    @Override
    public AccessDecision authorize(Principal principal, Operation operation, CollectorId target) {
        return AccessPolicy.decide(principal, operation, Optional.of(target));
    }
}
