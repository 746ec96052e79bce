package io.pgfleet.adapter.out.security;

import io.helidon.common.Errors;
import io.helidon.security.jwt.Jwt;
import io.helidon.security.jwt.SignedJwt;
import io.helidon.security.jwt.jwk.JwkKeys;
import io.helidon.security.jwt.jwk.JwkOctet;
import io.pgfleet.application.port.out.AccessTokenPort;
import io.pgfleet.application.port.out.SigningKeyStorePort;
import io.pgfleet.application.port.out.StorageUnavailableException;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import jakarta.json.Json;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * HS256 JWT access tokens. Keys come from the shared store, so every instance signs with the
 * newest key and verifies with all of them; an unknown key id triggers a reload (at most one per
 * 200 ms: a token of a key rotated on another instance just after this one reloaded waits for the
 * next allowed reload instead of being refused), which is how a key rotated on one instance reaches
 * the others.
 *
 * <p>Verification is strict: the header must say {@code HS256} (so {@code alg: none} and algorithm
 * confusion are refused before any signature check), the key id must be known, the signature must
 * match, and issuer, audience, subject, role, issue and expiry times must all be present and right.
 *
 * <p>It is also the application's way to the key store: a key saved through it is signed with on
 * this instance at once, without waiting for the periodic reload.
 */
public final class JwtAccessTokens implements AccessTokenPort, SigningKeyStorePort {

    /** The claim naming the session (refresh-token family) a token was issued in. */
    static final String SESSION_CLAIM = "sid";
    /** The longest session id a token may name (this server's are UUIDs, 36 characters). */
    static final int MAX_SESSION_LENGTH = 64;

    /** The issuer of every token. */
    public static final String ISSUER = "pgfleet";
    /** The audience of every token. */
    public static final String AUDIENCE = "pgfleet-api";
    private static final String ALGORITHM = "HS256";
    /** The clock skew allowed by the two-argument constructor. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    private static final Duration RELOAD_AT_MOST_EVERY = Duration.ofMillis(200);
    private static final Duration RELOAD_AT_LEAST_EVERY = Duration.ofMinutes(1);
    private static final int MAX_TOKEN_LENGTH = 8192;

    /**
     * The keys as loaded.
     *
     * @param newestFirst  by creation, newest first
     * @param byKid        the verification keys
     * @param supersededAt for every key but the newest, when its successor was created
     * @param loadedAt     when they were read
     */
    private record KeySet(List<SigningKeyStorePort.SigningKey> newestFirst, Map<String, JwkOctet> byKid,
                          Map<String, Instant> supersededAt, Instant loadedAt) {
    }

    private final SigningKeyStorePort store;
    private final Duration ttl;
    private final Duration clockSkew;
    private volatile KeySet keys;
    /** Reloads that failed (the database away); waiters compare it to learn that the one they waited for failed. */
    private volatile long failedReloads;
    /** Why the newest failed reload failed; guarded by this. */
    private RuntimeException lastFailure = new IllegalStateException("no reload has failed");
    private final VerifiedTokens verified = new VerifiedTokens();

    /**
     * Tokens signed with the store's keys.
     *
     * @param store the shared keys
     * @param ttl   access token lifetime
     */
    public JwtAccessTokens(SigningKeyStorePort store, Duration ttl) {
        this(store, ttl, DEFAULT_CLOCK_SKEW);
    }

    /**
     * Tokens signed with the store's keys, accepted for a given time past their expiry.
     *
     * @param store     the shared keys
     * @param ttl       access token lifetime
     * @param clockSkew how far clocks may disagree: a token is accepted this long after its expiry
     *                  and this long before its issue time
     */
    public JwtAccessTokens(SigningKeyStorePort store, Duration ttl, Duration clockSkew) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("access tokens live a positive time");
        }
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("the clock skew is not negative");
        }
        this.store = store;
        this.ttl = ttl;
        this.clockSkew = clockSkew;
    }

    @Override
    public IssuedAccessToken issue(Principal principal, String session, Instant now) {
        if (session.isEmpty() || session.length() > MAX_SESSION_LENGTH) {
            throw new IllegalArgumentException("a token names the session it was issued in");
        }
        KeySet set = keys(now, false);
        if (set.newestFirst().isEmpty()) {
            throw new IllegalStateException("no signing key: the security bootstrap has not run");
        }
        SigningKeyStorePort.SigningKey key = set.newestFirst().get(0);
        Instant expires = now.plus(ttl);
        Jwt jwt = Jwt.builder()
                .algorithm(ALGORITHM)
                .keyId(key.kid())
                .type("JWT")
                .issuer(ISSUER)
                .addAudience(AUDIENCE)
                .subject(principal.subject())
                .addPayloadClaim("role", principal.role().label())
                .addPayloadClaim(SESSION_CLAIM, session)
                .issueTime(now)
                .notBefore(now)
                .expirationTime(expires)
                .jwtId(UUID.randomUUID().toString())
                .build();
        return new IssuedAccessToken(SignedJwt.sign(jwt, set.byKid().get(key.kid())).tokenContent(), expires);
    }

    @Override
    public TokenCheck verify(String token, Instant now) {
        if (token == null || token.isBlank() || token.length() > MAX_TOKEN_LENGTH) {
            return new TokenCheck.Invalid("no token");
        }
        // The same token comes back with every request of its holder: verified once per key set.
        KeySet current = keys(now, false);
        Optional<TokenCheck.Valid> known = verified.find(token, now, current);
        if (known.isPresent()) {
            return known.get();
        }
        return verifyFully(token, now, current);
    }

    /**
     * Whether the token is written the one way this server writes tokens: three base64url parts
     * without padding, each exactly what re-encoding its bytes gives. The decoder behind the JWT
     * parser also takes padding and unused low bits, so one token could be sent under several
     * spellings — each a different string to every log, cache and comparison that meets it.
     */
    static boolean canonical(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return false;
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                return false;
            }
            for (int i = 0; i < part.length(); i++) {
                char c = part.charAt(i);
                if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                    return false;
                }
            }
            try {
                byte[] bytes = java.util.Base64.getUrlDecoder().decode(part);
                if (!java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(part)) {
                    return false;
                }
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return true;
    }

    private TokenCheck verifyFully(String token, Instant now, KeySet current) {
        if (!canonical(token)) {
            return new TokenCheck.Invalid("malformed token");
        }
        SignedJwt signed;
        try {
            signed = SignedJwt.parseToken(token);
        } catch (RuntimeException e) {
            // Any parse failure (bad base64, bad JSON, wrong shapes) is a malformed token, not a server error.
            return new TokenCheck.Invalid("malformed token");
        }
        Jwt jwt = signed.getJwt();
        if (!ALGORITHM.equals(signed.getJwt().algorithm().orElse(""))) {
            return new TokenCheck.Invalid("algorithm must be " + ALGORITHM);
        }
        Optional<String> kid = jwt.keyId();
        if (kid.isEmpty()) {
            return new TokenCheck.Invalid("no key id");
        }
        JwkOctet key = keys(now, false).byKid().get(kid.get());
        if (key == null) {
            key = keys(now, true).byKid().get(kid.get());
        }
        if (key == null) {
            return new TokenCheck.Invalid("unknown key id");
        }
        Instant superseded = keys(now, false).supersededAt().get(kid.get());
        if (superseded != null && superseded.plus(keyRetirementDelay()).isBefore(now)) {
            // Every genuine token of this key has expired: whoever still presents one holds the key.
            return new TokenCheck.Invalid("retired key");
        }
        try {
            Errors signature = signed.verifySignature(JwkKeys.builder().addKey(key).build(), key);
            if (!signature.isValid()) {
                return new TokenCheck.Invalid("bad signature");
            }
            TokenCheck check = claims(jwt, now);
            if (check instanceof TokenCheck.Valid valid) {
                // Remembered with the key set looked up before the verification: if a reload for an
                // unknown key id made a newer one meanwhile, the next request verifies again.
                verified.remember(token, valid, jwt.expirationTime().orElseThrow().plus(clockSkew),
                        current, now);
            }
            return check;
        } catch (RuntimeException e) {
            return new TokenCheck.Invalid("malformed token");
        }
    }

    private TokenCheck claims(Jwt jwt, Instant now) {
        if (!ISSUER.equals(jwt.issuer().orElse(""))) {
            return new TokenCheck.Invalid("wrong issuer");
        }
        if (!jwt.audience().map(a -> a.contains(AUDIENCE)).orElse(false)) {
            return new TokenCheck.Invalid("wrong audience");
        }
        Optional<Instant> exp = jwt.expirationTime();
        if (exp.isEmpty() || !now.isBefore(exp.get().plus(clockSkew))) {
            return new TokenCheck.Invalid("expired");
        }
        if (jwt.notBefore().map(nbf -> now.plus(clockSkew).isBefore(nbf)).orElse(false)
                || jwt.issueTime().isEmpty() || now.plus(clockSkew).isBefore(jwt.issueTime().get())) {
            return new TokenCheck.Invalid("not yet valid");
        }
        if (Duration.between(jwt.issueTime().get(), exp.get()).compareTo(ttl.plus(clockSkew)) > 0) {
            // This server never issues such a token: it was minted elsewhere, with a leaked key.
            return new TokenCheck.Invalid("lifetime longer than the access token TTL");
        }
        Optional<String> subject = jwt.subject();
        Optional<JsonValue> role = jwt.payloadClaim("role");
        if (subject.isEmpty() || role.isEmpty() || !(role.get() instanceof JsonString roleName)) {
            return new TokenCheck.Invalid("no subject or role");
        }
        Optional<JsonValue> sid = jwt.payloadClaim(SESSION_CLAIM);
        Optional<String> session = Optional.empty();
        if (sid.isPresent()) {
            // Absent only in tokens of an earlier release; present, it must be what this server writes.
            if (!(sid.get() instanceof JsonString s) || s.getString().isEmpty()
                    || s.getString().length() > MAX_SESSION_LENGTH) {
                return new TokenCheck.Invalid("bad session");
            }
            session = Optional.of(s.getString());
        }
        try {
            return new TokenCheck.Valid(new Principal(subject.get(), Role.parse(roleName.getString())), session);
        } catch (IllegalArgumentException e) {
            return new TokenCheck.Invalid("bad subject or role");
        }
    }

    private KeySet keys(Instant now, boolean unknownKid) {
        KeySet current = keys;
        Instant wallClock = Instant.now();
        boolean stale = current == null || current.loadedAt().plus(RELOAD_AT_LEAST_EVERY).isBefore(wallClock);
        boolean mayReload = current == null || current.loadedAt().plus(RELOAD_AT_MOST_EVERY).isBefore(wallClock);
        if (unknownKid && !stale && !mayReload) {
            // A key rotated on another instance moments after this one reloaded: wait out the rest of
            // the interval and reload then, rather than refuse a genuine token of the new key. A forged
            // key id costs its sender the same wait, and the database still at most one read per interval
            // (callers waiting together share the one reload below).
            Duration rest = Duration.between(wallClock, current.loadedAt().plus(RELOAD_AT_MOST_EVERY));
            try {
                Thread.sleep(rest.compareTo(RELOAD_AT_MOST_EVERY) > 0 ? RELOAD_AT_MOST_EVERY : rest);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return current;
            }
            wallClock = Instant.now();
            mayReload = true;
        }
        if (stale || (unknownKid && mayReload)) {
            long failedBefore = failedReloads;
            synchronized (this) {
                if (keys != current) {
                    return keys;
                }
                if (failedReloads != failedBefore) {
                    // A reload failed while this caller waited for it: the answer holds for every
                    // waiter. Trying again in turn would cost each queued request the pool's whole
                    // wait (5 s) one after the other, so with the database away an instance would
                    // answer one request per 5 s and hold the rest for minutes.
                    throw lastFailure instanceof StorageUnavailableException
                            ? new StorageUnavailableException(lastFailure.getMessage(), lastFailure)
                            : new IllegalStateException("reloading the signing keys failed", lastFailure);
                }
                try {
                    keys = load(wallClock);
                } catch (RuntimeException e) {
                    lastFailure = e;
                    failedReloads++;
                    throw e;
                }
                return keys;
            }
        }
        return current;
    }

    private KeySet load(Instant at) {
        List<SigningKeyStorePort.SigningKey> all = store.loadSigningKeys();
        Map<String, JwkOctet> byKid = all.stream().collect(Collectors.toMap(SigningKeyStorePort.SigningKey::kid,
                k -> JwkOctet.create(Json.createObjectBuilder()
                        .add("kty", "oct")
                        .add("kid", k.kid())
                        .add("alg", ALGORITHM)
                        .add("use", "sig")
                        .add("k", k.secret())
                        .build()), (a, b) -> a));
        Map<String, Instant> supersededAt = new java.util.HashMap<>();
        List<SigningKeyStorePort.SigningKey> newestFirst = all.stream()
                .sorted(java.util.Comparator.comparing(SigningKeyStorePort.SigningKey::createdAt).reversed()).toList();
        for (int i = 1; i < newestFirst.size(); i++) {
            supersededAt.put(newestFirst.get(i).kid(), newestFirst.get(i - 1).createdAt());
        }
        return new KeySet(newestFirst, byKid, Map.copyOf(supersededAt), at);
    }

    @Override
    public Duration keyRetirementDelay() {
        return ttl.plus(clockSkew).plus(RELOAD_AT_LEAST_EVERY);
    }

    @Override
    public List<SigningKey> loadSigningKeys() {
        return store.loadSigningKeys();
    }

    @Override
    public Saving saveSigningKeyIfFewer(SigningKey key, int max, io.pgfleet.domain.audit.AuditEntry audit) {
        Saving saving = store.saveSigningKeyIfFewer(key, max, audit);
        keys = null;
        return saving;
    }

    @Override
    public void deleteSigningKeys(java.util.Set<String> kids, io.pgfleet.domain.audit.AuditEntry audit) {
        store.deleteSigningKeys(kids, audit);
        keys = null;
    }

}
