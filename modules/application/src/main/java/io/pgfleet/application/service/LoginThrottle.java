package io.pgfleet.application.service;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed-attempt bookkeeping in memory. A (user, address) pair gets {@link LoginLimitSettings#freeFailures()}
 * failures, then must wait a delay that doubles with every further failure; an address as a whole
 * gets at most {@link LoginLimitSettings#addressFailures()} failures per window, and apart from those
 * {@link LoginLimitSettings#tokenFailures()} failed refreshes and logouts. Keyed by address, so a
 * flood against {@code admin} from one address never locks the real admin out from another.
 * Checked before any password hashing, so a refused attempt costs no CPU.
 */
final class LoginThrottle {

    /** Failures of one pair; {@code blockedUntil} is when the next attempt may be checked. */
    private record Pair(int failures, Instant lastFailure, Instant blockedUntil) {
    }

    /** Failures of one address in its current window. */
    private record Window(Instant start, int failures) {
    }

    private record PairKey(String user, String address) {
    }

    private final LoginLimitSettings limits;
    private final Map<PairKey, Pair> pairs = new ConcurrentHashMap<>();
    private final Map<String, Window> addresses = new ConcurrentHashMap<>();
    /** Failed refreshes and logouts of each address in its current window. */
    private final Map<String, Window> tokenAddresses = new ConcurrentHashMap<>();
    /** When each pair last logged in successfully: such a pair is hashed on reserved slots. */
    private final Map<PairKey, Instant> succeeded = new ConcurrentHashMap<>();

    /** How long a successful login makes its pair a known one (in memory: a restart forgets). */
    static final Duration KNOWN_FOR = Duration.ofDays(30);

    LoginThrottle(LoginLimitSettings limits) {
        this.limits = limits;
    }

    /** How long this user must wait before a login from this address is checked, if at all. */
    Optional<Duration> loginBlocked(String user, String address, Instant now) {
        Optional<Duration> byAddress = addressBlocked(address, now);
        if (byAddress.isPresent()) {
            return byAddress;
        }
        Pair p = pairs.get(new PairKey(key(user), address));
        return p == null || !now.isBefore(p.blockedUntil()) ? Optional.empty()
                : Optional.of(Duration.between(now, p.blockedUntil()));
    }

    /** How long this address must wait before its next attempt is checked, if at all. */
    Optional<Duration> addressBlocked(String address, Instant now) {
        return blocked(addresses, limits.addressFailures(), address, now);
    }

    /** How long this address must wait before its next refresh or logout is looked up, if at all. */
    Optional<Duration> tokenBlocked(String address, Instant now) {
        return blocked(tokenAddresses, limits.tokenFailures(), address, now);
    }

    private Optional<Duration> blocked(Map<String, Window> windows, int ceiling, String address, Instant now) {
        Window w = windows.get(address);
        if (w == null || w.failures() < ceiling) {
            return Optional.empty();
        }
        Instant end = w.start().plus(limits.addressWindow());
        return now.isBefore(end) ? Optional.of(Duration.between(now, end)) : Optional.empty();
    }

    /** A wrong password or unknown user from this address. */
    void loginFailed(String user, String address, Instant now) {
        addressFailed(address, now);
        pairs.compute(new PairKey(key(user), address), (k, p) -> {
            // Forgotten after twice the longest delay without a failure: waiting out a delay never resets the count.
            int failures = p == null || p.lastFailure().plus(limits.maxDelay().multipliedBy(2)).isBefore(now)
                    ? 1 : p.failures() + 1;
            return new Pair(failures, now, now.plus(delay(failures)));
        });
        bound(pairs);
    }

    /** A refused registration, or the address part of a failed login. */
    void addressFailed(String address, Instant now) {
        failed(addresses, address, now);
    }

    /**
     * A refresh or logout whose token was unknown, expired, revoked or reused, or whose principal is
     * gone: what a guesser produces. Counted apart from logins, so that a fleet's failing refreshes
     * behind one address never hold its operators' logins back.
     */
    void tokenFailed(String address, Instant now) {
        failed(tokenAddresses, address, now);
    }

    private void failed(Map<String, Window> windows, String address, Instant now) {
        windows.compute(address, (k, w) -> w == null || !now.isBefore(w.start().plus(limits.addressWindow()))
                ? new Window(now, 1) : new Window(w.start(), w.failures() + 1));
        bound(windows);
    }

    /** A successful login wipes the pair's failures (not the address's: others may be guessing from there). */
    void loginSucceeded(String user, String address, Instant now) {
        PairKey pair = new PairKey(key(user), address);
        pairs.remove(pair);
        succeeded.put(pair, now);
        bound(succeeded);
    }

    /**
     * Whether this user logged in from this address within {@link #KNOWN_FOR}: a flood from many
     * other addresses (each a new pair, so no throttle stops it) keeps the shared hashing slots full,
     * and such a login is checked on slots of its own. Its failures count as any pair's.
     */
    boolean known(String user, String address, Instant now) {
        Instant last = succeeded.get(new PairKey(key(user), address));
        return last != null && now.isBefore(last.plus(KNOWN_FOR));
    }

    private Duration delay(int failures) {
        int over = failures - limits.freeFailures();
        if (over < 0) {
            return Duration.ZERO;
        }
        // 1 s, 2 s, 4 s … capped; the shift is bounded so it never overflows.
        Duration d = limits.firstDelay().multipliedBy(1L << Math.min(over, 30));
        return d.compareTo(limits.maxDelay()) > 0 ? limits.maxDelay() : d;
    }

    /**
     * Keeps memory bounded when many addresses fail (a distributed attack): past the bound, forget
     * entries until back under it. Forgetting only ever lets an attacker retry sooner; it never
     * blocks anyone.
     */
    private <K, V> void bound(Map<K, V> map) {
        if (map.size() <= limits.maxTracked()) {
            return;
        }
        Iterator<K> it = map.keySet().iterator();
        int excess = map.size() - limits.maxTracked() * 9 / 10;
        while (excess-- > 0 && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    /** User names as typed are untrusted: bound the key length. */
    private static String key(String user) {
        String u = user == null ? "" : user;
        return u.length() > 64 ? u.substring(0, 64) : u;
    }
}
