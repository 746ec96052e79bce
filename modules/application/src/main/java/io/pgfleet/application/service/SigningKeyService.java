package io.pgfleet.application.service;

import io.pgfleet.application.port.in.RotateSigningKeyUseCase;
import io.pgfleet.application.port.out.SigningKeyStorePort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.identity.Actor;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

final class SigningKeyService implements RotateSigningKeyUseCase {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final SigningKeyStorePort store;
    private final Clock clock;

    SigningKeyService(SigningKeyStorePort store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Creates the first key when there is none. */
    void ensureKey() {
        if (store.loadSigningKeys().isEmpty()) {
            rotate(SecurityBootstrapService.SYSTEM, "first signing key");
        }
    }

    @Override
    public String rotateSigningKey(Actor actor) {
        return rotate(actor, "rotated");
    }

    private String rotate(Actor actor, String why) {
        Instant now = clock.instant();
        SigningKeyStorePort.SigningKey key = newKey(now);
        store.saveSigningKey(key, new AuditEntry(now, actor, AuditAction.SIGNING_KEY_ROTATED,
                new AuditSubject.OfServer(), 0, why + ": key " + key.kid()));
        return key.kid();
    }

    private static SigningKeyStorePort.SigningKey newKey(Instant now) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return new SigningKeyStorePort.SigningKey(UUID.randomUUID().toString(),
                Base64.getUrlEncoder().withoutPadding().encodeToString(secret), now);
    }
}
