package io.pgfleet.application.service;

import io.pgfleet.application.port.in.EndSessionUseCase;
import io.pgfleet.application.port.in.EndSessionUseCase.Ending;
import io.pgfleet.application.port.in.LoginUseCase;
import io.pgfleet.application.port.in.RefreshTokenUseCase;
import io.pgfleet.application.port.in.TokenResult;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadUserPort;
import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.PasswordHashingBusyException;
import io.pgfleet.application.port.out.RecordAuditPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

final class LoginService implements LoginUseCase, RefreshTokenUseCase, EndSessionUseCase {

    private final LoadUserPort users;
    private final LoadCollectorPort collectors;
    private final PasswordHasherPort hasher;
    private final RefreshTokenStorePort refreshTokens;
    private final TokenIssuer issuer;
    private final Clock clock;
    private final java.time.Duration reuseGrace;
    private final String dummyHash;
    private final LoginThrottle throttle;
    private final RecordAuditPort audit;
    private final ActivePrincipals active;
    private final RefreshTokenStorePort.RateLimit refreshRate;
    private final RefreshTokenStorePort.SessionLimit sessionLimit;

    LoginService(LoadUserPort users, LoadCollectorPort collectors, PasswordHasherPort hasher,
                 RefreshTokenStorePort refreshTokens, TokenIssuer issuer, Clock clock, LoginThrottle throttle,
                 RecordAuditPort audit, java.time.Duration reuseGrace, ActivePrincipals active,
                 RefreshTokenStorePort.RateLimit refreshRate, RefreshTokenStorePort.SessionLimit sessionLimit) {
        this.active = active;
        this.sessionLimit = java.util.Objects.requireNonNull(sessionLimit, "sessionLimit");
        this.refreshRate = refreshRate;
        this.throttle = throttle;
        this.audit = audit;
        this.reuseGrace = reuseGrace;
        this.users = users;
        this.collectors = collectors;
        this.hasher = hasher;
        this.refreshTokens = refreshTokens;
        this.issuer = issuer;
        this.clock = clock;
        // Unknown users cost a hash check too, so timing does not tell which names exist.
        this.dummyHash = hasher.hash(Secrets.randomPassword());
    }

    @Override
    public TokenResult login(String username, String password, Actor actor) {
        Instant now = clock.instant();
        // Before any hashing: a throttled attempt costs no CPU and is not audited (a flood would
        // otherwise turn into a flood of audit rows).
        Optional<Username> name = parse(username);
        Optional<Duration> wait = throttle.loginBlocked(username, actor.address(), now);
        if (wait.isPresent()) {
            // The name goes to the log only when well formed (no control characters from an attacker).
            return new TokenResult.Throttled(wait.get(), "too many failed logins for "
                    + name.map(Username::value).orElse("a malformed user name") + " from " + actor.address());
        }
        Optional<User> user = name.flatMap(users::loadUser);
        boolean matches;
        try {
            String candidate = password == null ? "" : password;
            String hash = user.map(User::passwordHash).orElse(dummyHash);
            matches = user.isPresent() && throttle.known(username, actor.address(), now)
                    ? hasher.verifyKnown(candidate, hash) : hasher.verify(candidate, hash);
        } catch (PasswordHashingBusyException e) {
            return new TokenResult.Throttled(Duration.ofSeconds(1), e.getMessage());
        }
        if (user.isEmpty() || !matches) {
            failed(username, name, actor, now, user.isEmpty() ? "unknown user" : "wrong password");
            return new TokenResult.Refused("unknown user or wrong password");
        }
        if (!user.get().enabled()) {
            failed(username, name, actor, now, "user is disabled");
            return new TokenResult.Refused("user " + name.get().value() + " is disabled");
        }
        throttle.loginSucceeded(username, actor.address(), now);
        // Past the limit the oldest session ends, not this login: refusing it would lock the user
        // out for the sessions' lifetime (30 days) once a script or a leaky client had used them up.
        Actor holder = new Actor(name.get().value(), actor.address());
        TokenIssuer.NewSession session = issuer.newSession(user.get().principal(), sessionLimit,
                ended -> new AuditEntry(clock.instant(), holder, AuditAction.SESSION_ENDED_FOR_LIMIT,
                        new AuditSubject.OfUser(name.get()), 0, "session " + ended.session() + " ended, the oldest of "
                        + name.get().value() + "'s: a login from " + actor.address() + " began another, and a user"
                        + " holds at most " + sessionLimit.sessions() + " open sessions (sessions_per_user)"));
        // This instance at once; the others when the announcements the store sent arrive.
        session.ended().forEach(e -> active.forgetSession(e.subject(), e.session()));
        return new TokenResult.Issued(session.tokens(), session.ended().stream()
                .map(e -> new TokenResult.EndedSession(e.subject(), e.session())).toList());
    }

    private void failed(String typed, Optional<Username> name, Actor actor, Instant now, String why) {
        // Counted under the name as typed, the key loginBlocked looks up.
        throttle.loginFailed(typed, actor.address(), now);
        // A malformed name is not echoed into the trail; a well-formed one names the account attacked.
        audit.recordAudit(new AuditEntry(now, actor, AuditAction.LOGIN_FAILED,
                name.<AuditSubject>map(AuditSubject.OfUser::new).orElseGet(AuditSubject.OfServer::new), 0,
                name.isPresent() ? why : "malformed user name"));
    }

    @Override
    public TokenResult refresh(String refreshToken, Actor actor) {
        // Before the hash and the lookup: a guesser's flood costs neither once its address is over the ceiling.
        Optional<Duration> wait = throttle.tokenBlocked(actor.address(), clock.instant());
        if (wait.isPresent()) {
            return new TokenResult.Throttled(wait.get(), "too many failed refreshes and logouts from " + actor.address());
        }
        TokenResult result = consume(refreshToken, actor);
        // A session refreshing too often presented a good token: not a guess, and not its address's fault.
        if (!(result instanceof TokenResult.Issued) && !(result instanceof TokenResult.TooFrequent)) {
            throttle.tokenFailed(actor.address(), clock.instant());
        }
        return result;
    }

    private TokenResult consume(String refreshToken, Actor actor) {
        if (refreshToken == null || refreshToken.isBlank() || refreshToken.length() > 200) {
            return new TokenResult.Refused("no refresh token");
        }
        TokenIssuer.NextRefreshToken next = issuer.nextRefreshToken();
        Instant now = clock.instant();
        return switch (refreshTokens.consumeRefreshToken(Secrets.hash(refreshToken), next.stored(), now,
                reuseGrace, refreshRate)) {
            case RefreshTokenStorePort.Consumption.Rejected r -> new TokenResult.Refused("unknown, expired or revoked refresh token");
            // Not audited (a client refreshing back to back would turn into as many audit rows): counted
            // by the API's problem metric, and logged there.
            case RefreshTokenStorePort.Consumption.TooFrequent t -> new TokenResult.TooFrequent(
                    Duration.between(now, t.until()), t.limit().refreshes(), t.limit().window(), "session " + t.familyId()
                    + " of " + t.subject() + " refreshed " + t.limit().refreshes() + " times within "
                    + t.limit().window().toSeconds() + " s");
            case RefreshTokenStorePort.Consumption.Decommissioned d -> new TokenResult.Decommissioned(d.collectorId(), d.at());
            case RefreshTokenStorePort.Consumption.Reused r -> {
                // The session's access tokens end here at once, not when the announcement comes back.
                active.forgetSession(r.subject(), r.familyId());
                audit.recordAudit(new AuditEntry(clock.instant(), actor, AuditAction.REFRESH_TOKEN_REUSED,
                        new AuditSubject.OfServer(), 0, reuse(r.reuse()) + "; its family " + r.familyId()
                        + " is revoked"));
                yield new TokenResult.Refused("refresh token used twice; every token of its family is revoked");
            }
            // The successor is stored whatever the principal's state: refused here, it reaches nobody.
            case RefreshTokenStorePort.Consumption.Consumed c -> current(c.principal())
                    .<TokenResult>map(p -> new TokenResult.Issued(issuer.pair(p, c.familyId(), next)))
                    .orElseGet(() -> new TokenResult.Refused(c.principal().subject() + " is disabled or gone"));
        };
    }

    @Override
    public Ending endSession(String refreshToken, Actor actor) {
        // Never refused for the address's failures (see the port): always looked up.
        Optional<RefreshTokenStorePort.EndedSession> ended = refreshToken == null || refreshToken.isBlank()
                || refreshToken.length() > 200 ? Optional.empty()
                : refreshTokens.endSession(Secrets.hash(refreshToken), clock.instant());
        if (ended.isEmpty()) {
            throttle.tokenFailed(actor.address(), clock.instant());
            return new Ending.NothingEnded();
        }
        // This instance at once; the others when the announcement the store sent arrives.
        active.forgetSession(ended.get().subject(), ended.get().session());
        return new Ending.Ended();
    }

    /** What gave a second holder away, for the audit trail (not a switch: one on an enum compiles to a class of its own). */
    private static String reuse(RefreshTokenStorePort.Reuse reuse) {
        if (reuse == RefreshTokenStorePort.Reuse.SUCCESSOR_USED) {
            return "a spent refresh token was presented again within the reuse grace, but the token it had"
                    + " been exchanged for was already used: two holders";
        }
        if (reuse == RefreshTokenStorePort.Reuse.SUPERSEDED) {
            return "a refresh token replaced by a retry of the token before it was presented: two holders";
        }
        return "a spent refresh token was presented again";
    }

    /** The principal as it is now: a user's current role, or nothing when disabled or gone. */
    private Optional<Principal> current(Principal p) {
        if (p.role() == Role.COLLECTOR) {
            return collectors.loadCollector(CollectorId.of(p.subject())).filter(c -> !c.revoked()).map(c -> p);
        }
        return parse(p.subject()).flatMap(users::loadUser).filter(User::enabled).map(User::principal);
    }

    private static Optional<Username> parse(String username) {
        try {
            return Optional.of(new Username(username));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
