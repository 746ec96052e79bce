package io.pgfleet.application.service;

import io.pgfleet.application.port.in.BootstrapSecurityUseCase;
import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.SaveUserPort;
import io.pgfleet.application.port.out.ServerSecretPort;
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

/** Signing key, first administrator and registration secret, idempotently, on every start. */
final class SecurityBootstrapService implements BootstrapSecurityUseCase {

    /** The actor of writes the server makes on its own. */
    static final Actor SYSTEM = new Actor("pgfleet", "");

    private final SigningKeyService keys;
    private final SaveUserPort users;
    private final ServerSecretPort secrets;
    private final PasswordHasherPort hasher;
    private final Clock clock;

    SecurityBootstrapService(SigningKeyService keys, SaveUserPort users, ServerSecretPort secrets, PasswordHasherPort hasher,
                      Clock clock) {
        this.keys = keys;
        this.users = users;
        this.secrets = secrets;
        this.hasher = hasher;
        this.clock = clock;
    }

    @Override
    public Generated bootstrap(Optional<String> adminPassword, Optional<String> registrationSecret) {
        keys.ensureKey();
        Instant now = clock.instant();
        Optional<String> generatedPassword = Optional.empty();
        String password = adminPassword.orElseGet(Secrets::randomPassword);
        User.checkPassword(password);
        User admin = new User(new Username(ADMIN), Role.ADMIN, true, hasher.hash(password), now);
        boolean created = users.saveFirstUser(admin, new AuditEntry(now, SYSTEM, AuditAction.USER_CREATED,
                new AuditSubject.OfUser(admin.username()), 0, "first administrator"));
        if (created) {
            generatedPassword = adminPassword.isEmpty() ? Optional.of(password) : Optional.empty();
        }
        Optional<String> generatedSecret = Optional.empty();
        if (registrationSecret.isPresent()) {
            if (registrationSecret.get().length() < 16) {
                throw new IllegalArgumentException("the registration secret has at least 16 characters");
            }
            secrets.saveSecretHash(RegistrationService.REGISTRATION_SECRET, Secrets.hash(registrationSecret.get()), now);
        } else {
            String secret = Secrets.randomToken();
            if (secrets.saveSecretHashIfAbsent(RegistrationService.REGISTRATION_SECRET, Secrets.hash(secret), now)) {
                generatedSecret = Optional.of(secret);
            }
        }
        return new Generated(generatedPassword, generatedSecret, adminPassword.isPresent() && !created);
    }
}
