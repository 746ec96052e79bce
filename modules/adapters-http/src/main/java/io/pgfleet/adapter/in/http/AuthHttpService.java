package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.AccessUseCases;
import io.pgfleet.application.port.in.EndSessionUseCase;
import io.pgfleet.application.port.in.LoginUseCase;
import io.pgfleet.application.port.in.RefreshTokenUseCase;
import io.pgfleet.application.port.in.RotateSigningKeyUseCase;
import io.pgfleet.application.port.in.TokenPair;
import io.pgfleet.application.port.in.TokenResult;
import io.pgfleet.domain.access.Operation;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;

import java.time.Duration;

/**
 * {@code /api/v1/auth}: logging in, refreshing, logging out, rotating the signing key.
 */
final class AuthHttpService implements ApiService {

    private static final System.Logger LOG = System.getLogger(AuthHttpService.class.getName());
    /**
     * Throttled token requests, said at most once a minute with how many were not said: a flood of
     * wrong passwords (40,000 attempts in 45 s in a field test, from many addresses) would otherwise
     * write a line for each beside the request log's line for its 429. Every one is counted in
     * {@code pgfleet_http_problems_total{type="too-many-attempts"}}.
     */
    private static final ThrottledWarning THROTTLED = new ThrottledWarning(LOG, Duration.ofMinutes(1), System::nanoTime);

    private final LoginUseCase login;
    private final RefreshTokenUseCase refresh;
    private final EndSessionUseCase endSession;
    private final RotateSigningKeyUseCase rotate;

    private final HttpMetrics metrics;

    AuthHttpService(AccessUseCases identity, HttpMetrics metrics) {
        this.metrics = metrics;
        this.login = identity.login();
        this.refresh = identity.refresh();
        this.endSession = identity.endSession();
        this.rotate = identity.rotateSigningKey();
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.post("/login", RouteAccess.open("logging in is how a caller gets a token"), this::login)
                .post("/refresh", RouteAccess.open("the refresh token in the body is the credential"), this::refresh)
                .post("/logout", RouteAccess.open("the refresh token in the body is the credential"), this::logout)
                .post("/signing-keys", RouteAccess.allowed(Operation.MANAGE_USERS), this::rotate);
    }

    private void login(ServerRequest req, ServerResponse res) {
        JsonObject body = Jsons.readObject(req);
        Jsons.onlyFields(body, "username", "password");
        String username = string(body, "username");
        String password = string(body, "password");
        TokenResult result = login.login(username, password, Callers.anonymous(req));
        metrics.login(switch (result) {
            case TokenResult.Issued i -> "issued";
            case TokenResult.Refused r -> "refused";
            case TokenResult.Decommissioned d -> "refused";
            case TokenResult.Throttled t -> "throttled";
            case TokenResult.TooFrequent t -> "throttled";
        });
        if (result instanceof TokenResult.Issued issued && !issued.ended().isEmpty()) {
            // Audited in the login's transaction; logged and counted as well, where a client that
            // logs in without logging out shows first.
            metrics.sessionsEndedForLimit(issued.ended().size());
            LOG.log(System.Logger.Level.INFO, endedSessionsLine(issued.ended()));
        }
        answer(res, result, "wrong user name or password, or the user is disabled");
    }

    /** At most this many ended sessions are named in the log line; the audit names every one. */
    static final int ENDED_SESSIONS_NAMED = 5;

    /**
     * The one log line of a login that ended sessions. One login ends one session as a rule, but as
     * many as the user held beyond the limit once {@code sessions_per_user} was lowered (up to
     * 10,000): one line, not one per session, so that lowering the limit does not flood the log.
     */
    static String endedSessionsLine(java.util.List<TokenResult.EndedSession> ended) {
        TokenResult.EndedSession first = ended.getFirst();
        if (ended.size() == 1) {
            return "session " + first.session() + " of " + first.subject()
                    + " ended: a login began another past sessions_per_user, and the oldest ends";
        }
        StringBuilder named = new StringBuilder();
        for (int i = 0; i < Math.min(ended.size(), ENDED_SESSIONS_NAMED); i++) {
            named.append(i == 0 ? "" : ", ").append(ended.get(i).session());
        }
        if (ended.size() > ENDED_SESSIONS_NAMED) {
            named.append(" and ").append(ended.size() - ENDED_SESSIONS_NAMED).append(" more (the audit names each)");
        }
        return ended.size() + " sessions of " + first.subject() + " ended: a login began another past sessions_per_user,"
                + " which is lower than the sessions the user held, and the oldest end: " + named;
    }

    private void refresh(ServerRequest req, ServerResponse res) {
        JsonObject body = Jsons.readObject(req);
        Jsons.onlyFields(body, "refresh_token");
        answer(res, refresh.refresh(string(body, "refresh_token"), Callers.anonymous(req)),
                "the refresh token is not accepted; log in again");
    }

    /**
     * Ends the session of the refresh token in the body: its refresh tokens and the access tokens
     * issued in it stop working on every instance. {@code 204} whether or not the token was known:
     * either way no session of that token goes on, and a guess learns nothing.
     */
    private void logout(ServerRequest req, ServerResponse res) {
        JsonObject body = Jsons.readObject(req);
        Jsons.onlyFields(body, "refresh_token");
        switch (endSession.endSession(string(body, "refresh_token"), Callers.anonymous(req))) {
            case EndSessionUseCase.Ending.Ended e -> LOG.log(System.Logger.Level.DEBUG, "a session ended by its holder");
            case EndSessionUseCase.Ending.NothingEnded n -> { }
        }
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.status(Status.NO_CONTENT_204);
        res.send();
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        switch (rotate.rotateSigningKey(Callers.actor(req))) {
            case RotateSigningKeyUseCase.Rotation.Rotated r -> {
                res.status(Status.CREATED_201);
                Jsons.send(res, Json.createObjectBuilder().add("kid", r.kid()).build());
            }
            case RotateSigningKeyUseCase.Rotation.TooMany t -> {
                long seconds = Math.max(1, (t.retryAfter().toMillis() + 999) / 1000);
                res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds));
                new Problem(Status.TOO_MANY_REQUESTS_429, ProblemType.TOO_MANY_SIGNING_KEYS, "Too many signing keys in use",
                        t.keys() + " signing keys are in use (at most " + RotateSigningKeyUseCase.MAX_KEYS
                                + "): each verifies the tokens it signed until they expire; the oldest retires in "
                                + seconds + " s. Nothing changed; the newest key signs").send(res);
            }
        }
    }

    private static void answer(ServerResponse res, TokenResult result, String refusal) {
        switch (result) {
            case TokenResult.Issued issued -> {
                res.header(HeaderNames.CACHE_CONTROL, "no-store");
                Jsons.send(res, tokens(issued.tokens()).build());
            }
            case TokenResult.Refused refused -> {
                LOG.log(System.Logger.Level.INFO, "token request refused: " + refused.reason());
                res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"pgfleet\"");
                new Problem(Status.UNAUTHORIZED_401, ProblemType.UNAUTHORIZED, "Not authenticated", refusal).send(res);
            }
            case TokenResult.Decommissioned d -> {
                // Still a 401 (an agent of an earlier release locks itself out as before); the type
                // and detail tell the token's holder, and nobody else, that re-enrolling cannot help.
                res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"pgfleet\"");
                decommissioned(Status.UNAUTHORIZED_401, d.collectorId(), d.at()).send(res);
            }
            case TokenResult.Throttled throttled -> throttled(res, throttled.retryAfter(), throttled.reason());
            case TokenResult.TooFrequent t -> {
                // Counted in pgfleet_http_problems_total by its type, not audited: a client refreshing back
                // to back would fill the trail as it filled the token table.
                LOG.log(System.Logger.Level.INFO, "refresh refused, too frequent: " + t.reason());
                long seconds = Math.max(1, (t.retryAfter().toMillis() + 999) / 1000);
                res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds));
                new Problem(Status.TOO_MANY_REQUESTS_429, ProblemType.REFRESH_RATE_EXCEEDED, "Session refreshed too often",
                        "this session refreshed " + t.refreshes() + " times within " + t.window().toSeconds()
                                + " s, as often as a session may; the refresh token was not spent: present it again in "
                                + seconds + " s").send(res);
            }
        }
    }

    private static void throttled(ServerResponse res, Duration retryAfter, String reason) {
        THROTTLED.info("token request throttled: " + reason);
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds));
        new Problem(Status.TOO_MANY_REQUESTS_429, ProblemType.TOO_MANY_ATTEMPTS, "Too many attempts",
                "too many failed attempts from this address, or the server is too busy to check more;"
                        + " nothing was checked, try again in " + seconds + " s").send(res);
    }

    /**
     * The answer about a decommissioned collector: when, and that its id is never bound again, so
     * the host needs a new one.
     */
    static Problem decommissioned(Status status, io.pgfleet.domain.collector.CollectorId id, java.time.Instant at) {
        return new Problem(status, ProblemType.COLLECTOR_DECOMMISSIONED, "Collector decommissioned", "collector '" + id
                + "' was decommissioned at " + HttpDates.json(at) + "; its id is never bound to a host again, so no"
                + " enrolment token can bring it back: register the host under a new id (a new collector)");
    }

    static JsonObjectBuilder tokens(TokenPair t) {
        return Json.createObjectBuilder()
                .add("access_token", t.accessToken())
                .add("token_type", "Bearer")
                .add("expires_at", HttpDates.json(t.expiresAt()))
                // The token's lifetime, from the times the server set: the expiry is on the database's
                // clock, and this host's may be far from it.
                .add("expires_in", t.lifetime().toSeconds())
                .add("refresh_token", t.refreshToken())
                .add("subject", t.principal().subject())
                .add("role", t.principal().role().label());
    }

    private static String string(JsonObject body, String key) {
        if (!(body.get(key) instanceof JsonString s)) {
            throw new ApiException(Problem.badRequest("'" + key + "' is required and must be a string"));
        }
        return s.getString();
    }
}
