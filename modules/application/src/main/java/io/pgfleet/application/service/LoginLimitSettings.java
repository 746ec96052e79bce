package io.pgfleet.application.service;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits on failed authentication attempts, per server instance (kept in memory, not shared
 * through the database: N instances behind a balancer allow up to N times these numbers).
 *
 * @param freeFailures        failed logins of one user from one address before delays start
 * @param firstDelay          the first delay after those; each further failure doubles it
 * @param maxDelay            the longest delay; a (user, address) pair without failure for twice this long is forgotten
 * @param addressFailures     failed logins and refused registrations one address may make per window
 * @param addressWindow       the window of that ceiling and of {@code tokenFailures}
 * @param maxTracked          at most this many pairs and addresses are remembered (memory bound)
 * @param tokenFailures       failed refreshes and logouts (a token unknown, expired, revoked or reused)
 *                            one address may make per window; successful ones are not counted
 */
public record LoginLimitSettings(int freeFailures, Duration firstDelay, Duration maxDelay, int addressFailures,
                          Duration addressWindow, int maxTracked, int tokenFailures) {

    /** Validates ranges. */
    public LoginLimitSettings {
        Objects.requireNonNull(firstDelay, "firstDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        Objects.requireNonNull(addressWindow, "addressWindow");
        if (freeFailures < 1 || addressFailures < 1 || tokenFailures < 1 || maxTracked < 100) {
            throw new IllegalArgumentException("login limits: at least 1 free failure, 1 failure per address, 100 tracked");
        }
        if (firstDelay.toMillis() < 1000 || maxDelay.compareTo(firstDelay) < 0 || addressWindow.toMillis() < 1000) {
            throw new IllegalArgumentException("login limits: delays and windows of at least a second, max ≥ first");
        }
    }

    /**
     * 5 free failures per (user, address), then 1 s doubling up to 15 min; 30 failures per address
     * per minute; 1,000 failed refreshes and logouts per address per minute; 100,000 remembered entries.
     *
     * @return the defaults
     */
    public static LoginLimitSettings defaults() {
        return new LoginLimitSettings(5, Duration.ofSeconds(1), Duration.ofMinutes(15), 30, Duration.ofMinutes(1), 100_000, 1000);
    }
}
