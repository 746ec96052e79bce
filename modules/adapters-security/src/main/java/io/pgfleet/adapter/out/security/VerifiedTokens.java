package io.pgfleet.adapter.out.security;

import io.pgfleet.application.port.out.AccessTokenPort.TokenCheck;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens whose signature and claims were verified, remembered until they expire, so that an
 * agent's or console's token (presented on every request) is parsed, base64-decoded, JSON-parsed and
 * HMAC-checked once per key set instead of once per request.
 *
 * <p>Keyed by the whole token text, not only its signature: a remembered answer is served only for
 * the very bytes that were verified, so a genuine signature pasted onto another header or payload
 * is verified from scratch (and refused). An answer is served only while
 * <ul>
 *   <li>the token has not expired ({@code now} before its expiry plus the clock skew, checked on
 *       every hit), and</li>
 *   <li>the key set it was verified against is still the current one: a key saved or deleted
 *       through this instance, and the periodic reload, make a new key set, after which every token
 *       is verified again (so a deleted or retired key stops being honoured at the same moment as
 *       without this cache).</li>
 * </ul>
 * Whether the token's subject is still active (revoked collector, disabled user) is not decided
 * here and is not remembered by this cache: the application checks it after every verification.
 *
 * <p>Bounded: at most {@link #MAX_ENTRIES} tokens; when full, expired entries are dropped, and if
 * that is not enough, everything is forgotten (the next request of each token verifies it again).
 */
final class VerifiedTokens {

    /** The most tokens remembered; about 0.5 KiB each. */
    static final int MAX_ENTRIES = 20_000;

    /**
     * A verified token.
     *
     * @param verdict   who it names, and its session
     * @param validUntil the first instant it is no longer accepted (expiry plus clock skew)
     * @param keys      the key set it was verified against
     */
    private record Entry(TokenCheck.Valid verdict, Instant validUntil, Object keys) {
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /**
     * The verdict on a token verified before against this key set, if it is still unexpired.
     *
     * @param token the token text
     * @param now   the time of the request
     * @param keys  the current key set
     * @return the verdict, or empty when the token must be verified
     */
    Optional<TokenCheck.Valid> find(String token, Instant now, Object keys) {
        Entry e = entries.get(token);
        if (e == null) {
            return Optional.empty();
        }
        if (e.keys() != keys || !now.isBefore(e.validUntil())) {
            entries.remove(token, e);
            return Optional.empty();
        }
        return Optional.of(e.verdict());
    }

    /**
     * Remembers a token that was just verified.
     *
     * @param token      the token text
     * @param verdict    who it names, and its session
     * @param validUntil the first instant it is no longer accepted
     * @param keys       the key set it was verified against
     * @param now        the time of the request
     */
    void remember(String token, TokenCheck.Valid verdict, Instant validUntil, Object keys, Instant now) {
        if (entries.size() >= MAX_ENTRIES) {
            entries.values().removeIf(e -> e.keys() != keys || !now.isBefore(e.validUntil()));
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
        }
        entries.put(token, new Entry(verdict, validUntil, keys));
    }

    /** How many tokens are remembered (for tests). */
    int size() {
        return entries.size();
    }
}
