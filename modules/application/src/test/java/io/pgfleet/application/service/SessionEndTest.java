package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.application.port.in.EndSessionUseCase;
import io.pgfleet.application.port.out.AccessTokenPort.TokenCheck;
import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session ended through this instance (a logout, a refresh token presented by a second holder)
 * ends here at once: what this instance remembered of the session is forgotten in the same call,
 * not when the store's announcement comes back (until then the session's access token was still
 * accepted for a few milliseconds, up to the 2 s an answer is remembered).
 */
class SessionEndTest {

    private static final Principal ALICE = new Principal("alice", Role.OPERATOR);
    private static final TokenCheck.Valid TOKEN = new TokenCheck.Valid(ALICE, Optional.of("family-1"));

    /** A store whose session of alice ends at the logout or at a reuse, as the real one answers. */
    private static final class Store implements RefreshTokenStorePort {
        @Override
        public void saveRefreshToken(String tokenHash, String familyId, Principal principal, Instant issuedAt,
                                     Instant expiresAt) {
        }

        @Override
        public Consumption consumeRefreshToken(String tokenHash, Successor successor, Instant now, Duration reuseGrace,
                                               RateLimit limit) {
            return new Consumption.Reused("family-1", "alice", Reuse.SPENT);
        }

        @Override
        public Optional<EndedSession> endSession(String tokenHash, Instant now) {
            return Optional.of(new EndedSession("alice", "family-1"));
        }

        @Override
        public void revokeRefreshTokensOfUser(Username username, Instant now) {
        }

        @Override
        public void revokeRefreshTokensOfCollector(CollectorId collectorId, Instant now) {
        }
    }

    private final ActivePrincipals active = new ActivePrincipals();
    private final LoginService login = new LoginService(new io.pgfleet.application.port.out.LoadUserPort() {
                @Override
                public Optional<io.pgfleet.domain.access.User> loadUser(Username username) {
                    return Optional.empty();
                }

                @Override
                public java.util.List<io.pgfleet.domain.access.User> loadUsers() {
                    return java.util.List.of();
                }
            }, new io.pgfleet.application.fake.InMemoryConfigStore(),
            new PasswordHasherPort() {
                @Override
                public String hash(String password) {
                    return "hash";
                }

                @Override
                public boolean verify(String password, String encoded) {
                    return false;
                }
            }, new Store(), new TokenIssuer(null, null, SecuritySettings.defaults(), Clock.systemUTC()),
            Clock.fixed(Instant.parse("2026-12-02T00:00:00Z"), ZoneOffset.UTC),
            new LoginThrottle(LoginLimitSettings.defaults()), entry -> { }, Duration.ofSeconds(30), active,
            new RefreshTokenStorePort.RateLimit(30, Duration.ofMinutes(1)));

    /** What the database says now: the session has ended. */
    private static Authentication ended(AtomicInteger lookups) {
        lookups.incrementAndGet();
        return new Authentication.Rejected("the session of alice has ended");
    }

    @Test
    void aLogoutForgetsWhatThisInstanceRememberedOfTheSessionAtOnce() {
        active.check(TOKEN, v -> new Authentication.Authenticated(v.principal()));
        assertInstanceOf(EndSessionUseCase.Ending.Ended.class,
                login.endSession("a-refresh-token", new Actor("anonymous", "127.0.0.1")));
        AtomicInteger lookups = new AtomicInteger();
        assertInstanceOf(Authentication.Rejected.class, active.check(TOKEN, v -> ended(lookups)),
                "asked again at once, not answered from memory");
        assertEquals(1, lookups.get());
    }

    @Test
    void aRefreshTokenPresentedByASecondHolderForgetsTheSessionHereAtOnce() {
        active.check(TOKEN, v -> new Authentication.Authenticated(v.principal()));
        login.refresh("a-spent-token", new Actor("anonymous", "127.0.0.1"));
        AtomicInteger lookups = new AtomicInteger();
        assertInstanceOf(Authentication.Rejected.class, active.check(TOKEN, v -> ended(lookups)));
        assertEquals(1, lookups.get());
    }
}
