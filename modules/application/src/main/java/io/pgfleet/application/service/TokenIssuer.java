package io.pgfleet.application.service;

import io.pgfleet.application.port.in.TokenPair;
import io.pgfleet.application.port.out.AccessTokenPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.application.port.out.RegistrationStorePort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.audit.AuditEntry;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Issues an access token and the next refresh token of a family. */
final class TokenIssuer {

    private final AccessTokenPort accessTokens;
    private final RefreshTokenStorePort refreshTokens;
    private final SecuritySettings settings;
    private final Clock clock;

    TokenIssuer(AccessTokenPort accessTokens, RefreshTokenStorePort refreshTokens, SecuritySettings settings, Clock clock) {
        this.accessTokens = accessTokens;
        this.refreshTokens = refreshTokens;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * The first pair of a user's new session, and the user's oldest sessions ended to keep it within
     * the limit (stored in one transaction with the new session's refresh token).
     */
    NewSession newSession(Principal principal, RefreshTokenStorePort.SessionLimit limit,
                          java.util.function.Function<RefreshTokenStorePort.EndedSession, AuditEntry> audit) {
        List<RefreshTokenStorePort.EndedSession> ended = new ArrayList<>(1);
        TokenPair tokens = issue(principal, UUID.randomUUID().toString(), (hash, family, p, issuedAt, expiresAt) ->
                ended.addAll(refreshTokens.startSession(hash, family, p, issuedAt, expiresAt, limit, audit)));
        return new NewSession(tokens, List.copyOf(ended));
    }

    /**
     * A new session's first pair.
     *
     * @param tokens the pair
     * @param ended  the subject's sessions ended for it (the oldest, past the limit), oldest first
     */
    record NewSession(TokenPair tokens, List<RefreshTokenStorePort.EndedSession> ended) {
    }

    /**
     * Issues the first pair of a family whose refresh token is stored in the given transaction, so
     * it exists only if that transaction commits (a registration's).
     */
    TokenPair newFamily(Principal principal, RegistrationStorePort.Transaction tx, String familyId) {
        return issue(principal, familyId, tx::saveRefreshToken);
    }

    /**
     * A refresh token not stored yet: the store keeps it in the transaction that spends the token
     * it replaces, so a retry of that token finds it there.
     *
     * @param token  the token, for the answer
     * @param stored what the store keeps of it
     */
    record NextRefreshToken(String token, RefreshTokenStorePort.Successor stored) {
    }

    NextRefreshToken nextRefreshToken() {
        Instant now = clock.instant();
        String refresh = Secrets.randomToken();
        return new NextRefreshToken(refresh, new RefreshTokenStorePort.Successor(Secrets.hash(refresh), now,
                now.plus(settings.refreshTokenTtl())));
    }

    /** The pair of a fresh access token of the family and a refresh token already stored. */
    TokenPair pair(Principal principal, String familyId, NextRefreshToken refresh) {
        Instant now = clock.instant();
        AccessTokenPort.IssuedAccessToken access = accessTokens.issue(principal, familyId, now);
        return new TokenPair(principal, access.token(), now, access.expiresAt(), refresh.token());
    }

    /** Where a refresh token is stored: the token store, or a registration's transaction. */
    @FunctionalInterface
    private interface RefreshTokenSink {
        void save(String tokenHash, String familyId, Principal principal, Instant issuedAt, Instant expiresAt);
    }

    private TokenPair issue(Principal principal, String familyId, RefreshTokenSink sink) {
        Instant now = clock.instant();
        AccessTokenPort.IssuedAccessToken access = accessTokens.issue(principal, familyId, now);
        String refresh = Secrets.randomToken();
        sink.save(Secrets.hash(refresh), familyId, principal, now, now.plus(settings.refreshTokenTtl()));
        return new TokenPair(principal, access.token(), now, access.expiresAt(), refresh);
    }
}
