package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ManageUsersUseCase;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

final class UserService implements ManageUsersUseCase {

    private final LoadUserPort load;
    private final SaveUserPort save;
    private final PasswordHasherPort hasher;
    private final RefreshTokenStorePort refreshTokens;
    private final Clock clock;
    private final ActivePrincipals active;

    UserService(LoadUserPort load, SaveUserPort save, PasswordHasherPort hasher, RefreshTokenStorePort refreshTokens,
                Clock clock, ActivePrincipals active) {
        this.active = active;
        this.load = load;
        this.save = save;
        this.hasher = hasher;
        this.refreshTokens = refreshTokens;
        this.clock = clock;
    }

    @Override
    public UserResult createUser(Username username, String password, Role role, Actor actor) {
        User.checkPassword(password);
        if (!role.isHuman()) {
            throw new IllegalArgumentException("users hold admin, operator or viewer");
        }
        Instant now = clock.instant();
        User user = new User(username, role, true, hasher.hash(password), now);
        AuditEntry audit = new AuditEntry(now, actor, AuditAction.USER_CREATED, new AuditSubject.OfUser(username), 0,
                "role " + role.label());
        return save.saveNewUser(user, audit) ? new UserResult.Saved(user) : new UserResult.AlreadyExists(username);
    }

    @Override
    public UserResult updateUser(Username username, Optional<Role> role, Optional<String> password,
                                 Optional<Boolean> enabled, Actor actor) {
        password.ifPresent(User::checkPassword);
        role.ifPresent(r -> {
            if (!r.isHuman()) {
                throw new IllegalArgumentException("users hold admin, operator or viewer");
            }
        });
        Optional<User> current = load.loadUser(username);
        if (current.isEmpty()) {
            return new UserResult.NotFound(username);
        }
        User before = current.get();
        User after = new User(username, role.orElse(before.role()), enabled.orElse(before.enabled()),
                password.map(hasher::hash).orElse(before.passwordHash()), before.createdAt());
        List<String> changes = new ArrayList<>();
        role.filter(r -> r != before.role()).ifPresent(r -> changes.add("role " + before.role().label() + " → " + r.label()));
        password.ifPresent(p -> changes.add("password changed"));
        enabled.filter(e -> e != before.enabled()).ifPresent(e -> changes.add(e ? "enabled" : "disabled"));
        Instant now = clock.instant();
        if (!save.updateUser(after, new AuditEntry(now, actor, AuditAction.USER_UPDATED, new AuditSubject.OfUser(username),
                0, changes.isEmpty() ? "no change" : String.join(", ", changes)))) {
            return new UserResult.LastAdministrator(username);
        }
        if (!after.enabled() || password.isPresent()) {
            // A disabled user, or one whose password was reset, must log in again everywhere.
            refreshTokens.revokeRefreshTokensOfUser(username, now);
        }
        // After the revocation: a request in between would remember the sessions as going on.
        active.forget(username.value());
        return new UserResult.Saved(after);
    }

    @Override
    public List<User> listUsers() {
        return load.loadUsers();
    }
}
