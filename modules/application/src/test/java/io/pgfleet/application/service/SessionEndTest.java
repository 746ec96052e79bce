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
    private static class Store implements RefreshTokenStorePort {
        @Override
        public java.util.List<EndedSession> startSession(String tokenHash, String familyId, Principal principal,
                                                         Instant issuedAt, Instant expiresAt, SessionLimit limit,
                                                         java.util.function.Function<EndedSession,
                                                                 io.pgfleet.domain.audit.AuditEntry> audit) {
            return java.util.List.of();
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
            new RefreshTokenStorePort.RateLimit(30, Duration.ofMinutes(1)), new RefreshTokenStorePort.SessionLimit(100));

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

    @Test
    void aLoginPastTheSessionLimitForgetsTheOldestSessionHereAtOnceAndAuditsItsEnd() {
        java.util.List<io.pgfleet.domain.audit.AuditEntry> audited = new java.util.ArrayList<>();
        // A store in which alice holds as many sessions as she may: it ends family-1 for the login.
        Store atLimit = new Store() {
            @Override
            public java.util.List<EndedSession> startSession(String tokenHash, String familyId, Principal principal,
                                                             Instant issuedAt, Instant expiresAt, SessionLimit limit,
                                                             java.util.function.Function<EndedSession,
                                                                     io.pgfleet.domain.audit.AuditEntry> audit) {
                EndedSession ended = new EndedSession("alice", "family-1");
                audited.add(audit.apply(ended));
                return java.util.List.of(ended);
            }
        };
        io.pgfleet.application.port.out.AccessTokenPort tokens = new io.pgfleet.application.port.out.AccessTokenPort() {
            @Override
            public IssuedAccessToken issue(Principal principal, String session, Instant now) {
                return new IssuedAccessToken("access-" + session, now.plusSeconds(900));
            }

            @Override
            public TokenCheck verify(String token, Instant now) {
                return new TokenCheck.Invalid("not in this test");
            }

            @Override
            public Duration keyRetirementDelay() {
                return Duration.ZERO;
            }
        };
        io.pgfleet.domain.access.User alice = new io.pgfleet.domain.access.User(new Username("alice"), Role.OPERATOR,
                true, "hash", Instant.parse("2026-01-01T00:00:00Z"));
        LoginService logins = new LoginService(new io.pgfleet.application.port.out.LoadUserPort() {
                    @Override
                    public Optional<io.pgfleet.domain.access.User> loadUser(Username username) {
                        return Optional.of(alice).filter(u -> u.username().equals(username));
                    }

                    @Override
                    public java.util.List<io.pgfleet.domain.access.User> loadUsers() {
                        return java.util.List.of(alice);
                    }
                }, new io.pgfleet.application.fake.InMemoryConfigStore(),
                new PasswordHasherPort() {
                    @Override
                    public String hash(String password) {
                        return "hash";
                    }

                    @Override
                    public boolean verify(String password, String encoded) {
                        return true;
                    }
                }, atLimit, new TokenIssuer(tokens, atLimit, SecuritySettings.defaults(), Clock.systemUTC()),
                Clock.systemUTC(), new LoginThrottle(LoginLimitSettings.defaults()), entry -> { }, Duration.ofSeconds(30),
                active, new RefreshTokenStorePort.RateLimit(30, Duration.ofMinutes(1)),
                new RefreshTokenStorePort.SessionLimit(2));
        active.check(TOKEN, v -> new Authentication.Authenticated(v.principal()));

        io.pgfleet.application.port.in.TokenResult.Issued issued = assertInstanceOf(
                io.pgfleet.application.port.in.TokenResult.Issued.class,
                logins.login("alice", "alice-password", new Actor("anonymous", "192.0.2.7")));

        assertEquals(java.util.List.of(new io.pgfleet.application.port.in.TokenResult.EndedSession("alice", "family-1")),
                issued.ended());
        AtomicInteger lookups = new AtomicInteger();
        assertInstanceOf(Authentication.Rejected.class, active.check(TOKEN, v -> ended(lookups)),
                "asked again at once, not answered from memory");
        assertEquals(1, lookups.get());
        assertEquals(1, audited.size());
        io.pgfleet.domain.audit.AuditEntry entry = audited.get(0);
        assertEquals(io.pgfleet.domain.audit.AuditAction.SESSION_ENDED_FOR_LIMIT, entry.action());
        assertEquals(new Actor("alice", "192.0.2.7"), entry.actor());
        assertTrue(entry.detail().contains("family-1") && entry.detail().contains("sessions_per_user")
                && entry.detail().contains(" 2 "), entry.detail());
    }
}
