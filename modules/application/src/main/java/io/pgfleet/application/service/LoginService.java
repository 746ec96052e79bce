package io.pgfleet.application.service;

import io.pgfleet.application.port.in.LoginUseCase;
import io.pgfleet.application.port.in.RefreshTokenUseCase;
import io.pgfleet.application.port.in.TokenResult;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadUserPort;
import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Clock;
import java.util.Optional;

final class LoginService implements LoginUseCase, RefreshTokenUseCase {

    private final LoadUserPort users;
    private final LoadCollectorPort collectors;
    private final PasswordHasherPort hasher;
    private final RefreshTokenStorePort refreshTokens;
    private final TokenIssuer issuer;
    private final Clock clock;
    private final java.time.Duration reuseGrace;
    private final String dummyHash;

    LoginService(LoadUserPort users, LoadCollectorPort collectors, PasswordHasherPort hasher,
                 RefreshTokenStorePort refreshTokens, TokenIssuer issuer, Clock clock, java.time.Duration reuseGrace) {
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
        Optional<User> user = parse(username).flatMap(users::loadUser);
        boolean matches = hasher.verify(password == null ? "" : password,
                user.map(User::passwordHash).orElse(dummyHash));
        if (user.isEmpty() || !matches) {
            return new TokenResult.Refused("unknown user or wrong password");
        }
        if (!user.get().enabled()) {
            return new TokenResult.Refused("user " + username + " is disabled");
        }
        return new TokenResult.Issued(issuer.newFamily(user.get().principal()));
    }

    @Override
    public TokenResult refresh(String refreshToken) {
        if (refreshToken == null || refreshToken.isBlank() || refreshToken.length() > 200) {
            return new TokenResult.Refused("no refresh token");
        }
        return switch (refreshTokens.consumeRefreshToken(Secrets.hash(refreshToken), clock.instant(), reuseGrace)) {
            case RefreshTokenStorePort.Consumption.Rejected r -> new TokenResult.Refused("unknown, expired or revoked refresh token");
            case RefreshTokenStorePort.Consumption.Reused r -> new TokenResult.Refused(
                    "refresh token used twice; every token of its family is revoked");
            case RefreshTokenStorePort.Consumption.Consumed c -> current(c.principal())
                    .<TokenResult>map(p -> new TokenResult.Issued(issuer.issue(p, c.familyId())))
                    .orElseGet(() -> new TokenResult.Refused(c.principal().subject() + " is disabled or gone"));
        };
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
