package io.pgfleet.application.service;

import io.pgfleet.application.port.in.RotateSigningKeyUseCase;
import io.pgfleet.application.port.out.SigningKeyStorePort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.identity.Actor;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

final class SigningKeyService implements RotateSigningKeyUseCase {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final SigningKeyStorePort store;
    private final Duration retirementDelay;
    private final Clock clock;

    SigningKeyService(SigningKeyStorePort store, Duration retirementDelay, Clock clock) {
        this.store = store;
        this.retirementDelay = retirementDelay;
        this.clock = clock;
    }

    /** Creates the first key when there is none (once, however many instances start together). */
    void ensureKey() {
        if (store.loadSigningKeys().isEmpty()) {
            Instant now = clock.instant();
            save(SecurityBootstrapService.SYSTEM, "first signing key", now, newKey(now), 1);
        }
    }

    @Override
    public Rotation rotateSigningKey(Actor actor) {
        Instant now = clock.instant();
        // Retired first: what they leave is what is still in use.
        List<SigningKeyStorePort.SigningKey> keys = store.loadSigningKeys();
        Set<String> retired = retired(keys, now, retirementDelay);
        if (!retired.isEmpty()) {
            store.deleteSigningKeys(retired, new AuditEntry(now, actor, AuditAction.SIGNING_KEY_ROTATED,
                    new AuditSubject.OfServer(), 0, "retired keys " + String.join(", ", retired)));
        }
        // The store counts again as it inserts, after any concurrent rotation: this first count
        // only spares the lock when the answer is plain.
        List<SigningKeyStorePort.SigningKey> inUse = keys.stream().filter(k -> !retired.contains(k.kid())).toList();
        if (inUse.size() >= MAX_KEYS) {
            return tooMany(inUse, now);
        }
        SigningKeyStorePort.SigningKey key = newKey(now);
        return switch (save(actor, "rotated", now, key, MAX_KEYS)) {
            case SigningKeyStorePort.Saving.Saved saved -> new Rotation.Rotated(key.kid());
            case SigningKeyStorePort.Saving.Full full -> tooMany(full.keys(), now);
        };
    }

    private Rotation.TooMany tooMany(List<SigningKeyStorePort.SigningKey> inUse, Instant now) {
        List<SigningKeyStorePort.SigningKey> oldestFirst = inUse.stream()
                .sorted(Comparator.comparing(SigningKeyStorePort.SigningKey::createdAt)).toList();
        // The oldest retires once its successor has signed for longer than any token lives.
        Duration wait = oldestFirst.size() < 2 ? Duration.ZERO
                : Duration.between(now, oldestFirst.get(1).createdAt().plus(retirementDelay));
        return new Rotation.TooMany(oldestFirst.size(), wait.isNegative() || wait.isZero() ? Duration.ofSeconds(1) : wait);
    }

    private SigningKeyStorePort.Saving save(Actor actor, String why, Instant now, SigningKeyStorePort.SigningKey key,
                                            int max) {
        return store.saveSigningKeyIfFewer(key, max, new AuditEntry(now, actor, AuditAction.SIGNING_KEY_ROTATED,
                new AuditSubject.OfServer(), 0, why + ": key " + key.kid()));
    }

    /**
     * Keys whose successor was created longer ago than the delay: every token they signed has
     * expired, so they have nothing left to verify.
     */
    static Set<String> retired(List<SigningKeyStorePort.SigningKey> keys, Instant now, Duration delay) {
        List<SigningKeyStorePort.SigningKey> newestFirst = keys.stream()
                .sorted(Comparator.comparing(SigningKeyStorePort.SigningKey::createdAt).reversed()).toList();
        Set<String> retired = new TreeSet<>();
        for (int i = 1; i < newestFirst.size(); i++) {
            if (newestFirst.get(i - 1).createdAt().plus(delay).isBefore(now)) {
                retired.add(newestFirst.get(i).kid());
            }
        }
        return retired;
    }

    private static SigningKeyStorePort.SigningKey newKey(Instant now) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return new SigningKeyStorePort.SigningKey(UUID.randomUUID().toString(),
                Base64.getUrlEncoder().withoutPadding().encodeToString(secret), now);
    }
}
