package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ResetAdministratorPasswordUseCase;
import io.pgfleet.application.port.out.LoadUserPort;
import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.application.port.out.SaveUserPort;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.identity.Actor;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/** An administrator's password reset from the server host. */
final class AdministratorRecoveryService implements ResetAdministratorPasswordUseCase {

    /** The actor of a reset: whoever could run the server's command on its host. */
    static final Actor SERVER_HOST = new Actor("pgfleet-server reset-admin-password", "");

    private final LoadUserPort load;
    private final SaveUserPort save;
    private final PasswordHasherPort hasher;
    private final RefreshTokenStorePort refreshTokens;
    private final Clock clock;

    AdministratorRecoveryService(LoadUserPort load, SaveUserPort save, PasswordHasherPort hasher,
                                 RefreshTokenStorePort refreshTokens, Clock clock) {
        this.load = load;
        this.save = save;
        this.hasher = hasher;
        this.refreshTokens = refreshTokens;
        this.clock = clock;
    }

    @Override
    public Result reset(Username username, Optional<String> given) {
        String password = given.orElseGet(Secrets::randomPassword);
        User.checkPassword(password);
        Optional<User> current = load.loadUser(username);
        if (current.isEmpty()) {
            return new Result.NotFound(username);
        }
        User before = current.get();
        if (before.role() != Role.ADMIN) {
            return new Result.NotAdministrator(username, before.role());
        }
        Instant now = clock.instant();
        User after = new User(username, Role.ADMIN, true, hasher.hash(password), before.createdAt());
        // An enabled administrator is written: the last-administrator rule cannot refuse it.
        save.updateUser(after, new AuditEntry(now, SERVER_HOST, AuditAction.USER_UPDATED, new AuditSubject.OfUser(username),
                0, AUDIT_DETAIL + (before.enabled() ? "" : ", enabled")));
        // Whoever holds the old password may hold a session too: it ends here.
        refreshTokens.revokeRefreshTokensOfUser(username, now);
        return new Result.Reset(after, !before.enabled(), given.isEmpty() ? Optional.of(password) : Optional.empty());
    }
}
