package io.pgfleet.adapter.out.security;

import io.pgfleet.application.port.out.AccessTokenPort.TokenCheck;
import io.pgfleet.application.port.out.SigningKeyStorePort;
import io.pgfleet.application.port.out.StorageUnavailableException;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.identity.Actor;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Verification of access tokens that were verified before: a remembered token must be refused
 * exactly when a fresh verification would refuse it (expired, key deleted, bytes changed).
 * The key store is a list in memory: what is tested is this adapter's own decision, not storage.
 */
class JwtAccessTokensTest {

    private static final Duration TTL = Duration.ofMinutes(15);
    private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");
    private static final Principal AGENT = new Principal("db-7", Role.COLLECTOR);
    private static final String SESSION = "3b1f0c9e-6a41-4f7e-9d0a-0c2b7b0f4e11";

    /** Keys in memory, the way every instance sees the shared table. */
    private static class Keys implements SigningKeyStorePort {
        final List<SigningKey> keys = new CopyOnWriteArrayList<>();

        @Override
        public List<SigningKey> loadSigningKeys() {
            return List.copyOf(keys);
        }

        @Override
        public synchronized Saving saveSigningKeyIfFewer(SigningKey key, int max, AuditEntry audit) {
            if (keys.size() >= max) {
                return new Saving.Full(keys);
            }
            keys.add(key);
            return new Saving.Saved();
        }

        @Override
        public void deleteSigningKeys(Set<String> kids, AuditEntry audit) {
            keys.removeIf(k -> kids.contains(k.kid()));
        }
    }

    private static SigningKeyStorePort.SigningKey newKey(String kid, Instant at) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return new SigningKeyStorePort.SigningKey(kid, Base64.getUrlEncoder().withoutPadding().encodeToString(secret), at);
    }

    private static AuditEntry audit(String detail) {
        return new AuditEntry(T0, new Actor("admin", "127.0.0.1"), AuditAction.SIGNING_KEY_ROTATED,
                new AuditSubject.OfServer(), 0, detail);
    }

    private final Keys store = new Keys();
    private final JwtAccessTokens tokens = new JwtAccessTokens(store, TTL);

    JwtAccessTokensTest() {
        store.keys.add(newKey("k1", T0.minusSeconds(3600)));
    }

    @Test
    void aRememberedTokenIsRefusedOnceItHasExpired() {
        String token = tokens.issue(AGENT, SESSION, T0).token();
        // Verified (and remembered) several times during its life …
        for (int s = 0; s < 600; s += 60) {
            assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), tokens.verify(token, T0.plusSeconds(s)));
        }
        // … and refused after its expiry plus the 30 s of clock skew, as if it had never been seen.
        Instant past = T0.plus(TTL).plusSeconds(31);
        assertEquals(new TokenCheck.Invalid("expired"), tokens.verify(token, past));
        assertEquals(new TokenCheck.Invalid("expired"), tokens.verify(token, past.plusSeconds(3600)));
    }

    @Test
    void theClockSkewSetIsTheTimeATokenIsAcceptedPastItsExpiry() {
        JwtAccessTokens strict = new JwtAccessTokens(store, TTL, Duration.ofSeconds(2));
        String token = strict.issue(AGENT, SESSION, T0).token();
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), strict.verify(token, T0.plus(TTL).plusSeconds(1)));
        assertEquals(new TokenCheck.Invalid("expired"), strict.verify(token, T0.plus(TTL).plusSeconds(2)));
        // Issued two seconds ahead of this instance's clock is within the skew; three is not.
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)),
                strict.verify(strict.issue(AGENT, SESSION, T0.plusSeconds(2)).token(), T0.plusMillis(1)));
        assertEquals(TTL.plusSeconds(2).plusMinutes(1), strict.keyRetirementDelay());
    }

    @Test
    void aRememberedTokenIsRefusedOnceItsKeyIsDeleted() {
        String token = tokens.issue(AGENT, SESSION, T0).token();
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), tokens.verify(token, T0.plusSeconds(1)));
        tokens.saveSigningKeyIfFewer(newKey("k2", T0.plusSeconds(2)), 10, audit("rotated"));
        // A rotation alone does not end the old key's tokens …
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), tokens.verify(token, T0.plusSeconds(3)));
        tokens.deleteSigningKeys(Set.of("k1"), audit("retired k1"));
        // … deleting the key does, at once on this instance.
        assertEquals(new TokenCheck.Invalid("unknown key id"), tokens.verify(token, T0.plusSeconds(4)));
    }

    @Test
    void anotherInstancesNewKeyIsLearnedEvenRightAfterThisInstanceReloaded() {
        // Instance B has just read the keys (its first token check) …
        JwtAccessTokens onB = new JwtAccessTokens(store, TTL);
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), onB.verify(tokens.issue(AGENT, SESSION, T0).token(), T0));
        // … when instance A rotates and signs with the new key: B accepts the new key's token at once,
        // although its last reload is only moments old (it waits for the next allowed reload).
        tokens.saveSigningKeyIfFewer(newKey("k2", T0.plusSeconds(1)), 10, audit("rotated"));
        String fresh = tokens.issue(AGENT, SESSION, T0.plusSeconds(1)).token();
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), onB.verify(fresh, T0.plusSeconds(1)));
    }

    @Test
    void tokensOfUnknownKeysArrivingTogetherShareOneReload() throws Exception {
        java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
        Keys counting = new Keys() {
            @Override
            public List<SigningKey> loadSigningKeys() {
                loads.incrementAndGet();
                return super.loadSigningKeys();
            }
        };
        counting.keys.addAll(store.keys);
        JwtAccessTokens checked = new JwtAccessTokens(counting, TTL);
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), checked.verify(tokens.issue(AGENT, SESSION, T0).token(), T0));
        assertEquals(1, loads.get());
        // Tokens under key ids no store holds (a forger's), sent together: one reload serves them all.
        Keys elsewhere = new Keys();
        elsewhere.keys.add(newKey("forged", T0));
        String forged = new JwtAccessTokens(elsewhere, TTL).issue(AGENT, SESSION, T0).token();
        List<Thread> callers = new java.util.ArrayList<>();
        List<TokenCheck> answers = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 16; i++) {
            callers.add(Thread.ofPlatform().start(() -> answers.add(checked.verify(forged, T0))));
        }
        for (Thread t : callers) {
            t.join();
        }
        assertEquals(16, answers.size());
        answers.forEach(a -> assertEquals(new TokenCheck.Invalid("unknown key id"), a));
        assertTrue(loads.get() <= 2, "16 unknown key ids at once read the keys " + (loads.get() - 1) + " times");
    }

    @Test
    void aTokenIsAcceptedOnlyAsItWasWrittenNotPaddedOrWithOtherUnusedBits() {
        String token = tokens.issue(AGENT, SESSION, T0).token();
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), tokens.verify(token, T0.plusSeconds(1)));
        String[] parts = token.split("\\.");
        // An HS256 signature is 32 bytes: 43 characters, the last carrying two unused bits.
        char last = parts[2].charAt(parts[2].length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char sameBits = alphabet.charAt(alphabet.indexOf(last) ^ 1);
        List<String> respellings = List.of(token + "=", parts[0] + "=." + parts[1] + "." + parts[2],
                parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 1) + sameBits,
                token + ".", " " + token);
        for (String other : respellings) {
            assertEquals(new TokenCheck.Invalid("malformed token"), tokens.verify(other, T0.plusSeconds(2)), other);
        }
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), tokens.verify(token, T0.plusSeconds(3)));
    }

    @Test
    void aGenuineSignatureOnOtherClaimsIsRefusedEvenWhileTheGenuineTokenIsRemembered() {
        String token = tokens.issue(AGENT, SESSION, T0).token();
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), tokens.verify(token, T0.plusSeconds(1)));
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), java.nio.charset.StandardCharsets.UTF_8);
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.replace("\"db-7\"", "\"db-8\"").getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "." + parts[2];
        assertEquals(new TokenCheck.Invalid("bad signature"), tokens.verify(forged, T0.plusSeconds(2)));
        assertEquals(new TokenCheck.Valid(AGENT, Optional.of(SESSION)), tokens.verify(token, T0.plusSeconds(3)));
    }

    @Test
    void aReloadThatFailsAnswersEveryCallerWaitingForItSoALostDatabaseIsNotAskedOncePerQueuedRequest() throws Exception {
        // The database is away: each load waits (the pool's connection timeout) and then fails.
        java.util.concurrent.CountDownLatch timeout = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
        SigningKeyStorePort away = new Keys() {
            @Override
            public List<SigningKey> loadSigningKeys() {
                loads.incrementAndGet();
                try {
                    timeout.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new StorageUnavailableException("loading signing keys failed: connection refused", null);
            }
        };
        JwtAccessTokens fresh = new JwtAccessTokens(away, TTL);
        String token = tokens.issue(AGENT, SESSION, T0).token();
        int callers = 16;
        List<Thread> threads = new java.util.ArrayList<>();
        List<Throwable> answers = new CopyOnWriteArrayList<>();
        for (int i = 0; i < callers; i++) {
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    fresh.verify(token, T0);
                    answers.add(new AssertionError("verified without keys"));
                } catch (RuntimeException e) {
                    answers.add(e);
                }
            });
            threads.add(t);
        }
        // One caller is loading; the others queue behind it.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (threads.stream().filter(t -> t.getState() == Thread.State.BLOCKED).count() < callers - 1) {
            assertTrue(System.nanoTime() < deadline, "the callers did not queue: " + loads.get() + " loads");
            Thread.onSpinWait();
        }
        timeout.countDown();
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertEquals(callers, answers.size());
        assertTrue(answers.stream().allMatch(e -> e instanceof StorageUnavailableException), answers.toString());
        assertEquals(1, loads.get(), "one failed reload answered every caller that waited for it");

        // A caller arriving after the failure tries again (the database may be back).
        assertThrows(StorageUnavailableException.class, () -> fresh.verify(token, T0));
        assertEquals(2, loads.get());
    }
}
