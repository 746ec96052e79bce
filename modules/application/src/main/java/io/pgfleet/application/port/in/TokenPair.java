package io.pgfleet.application.port.in;

import io.pgfleet.domain.access.Principal;

import java.time.Instant;
import java.util.Objects;

/**
 * What a successful login, refresh or registration hands out.
 *
 * @param principal    who the tokens are for
 * @param accessToken  short-lived signed token for {@code Authorization: Bearer}
 * @param issuedAt     when the access token was issued, on the clock that set its expiry (the
 *                     database's): its lifetime is told from the two, never from another clock
 * @param expiresAt    when the access token expires
 * @param refreshToken one-time token that obtains the next pair
 */
public record TokenPair(Principal principal, String accessToken, Instant issuedAt, Instant expiresAt,
                        String refreshToken) {

    /** Requires every part. */
    public TokenPair {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(accessToken, "accessToken");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(refreshToken, "refreshToken");
    }

    /**
     * How long the access token lasts from its issue: what a client that keeps no clock in common
     * with the server ({@code expires_in}) schedules its refresh by.
     *
     * @return the lifetime, never negative
     */
    public java.time.Duration lifetime() {
        java.time.Duration d = java.time.Duration.between(issuedAt, expiresAt);
        return d.isNegative() ? java.time.Duration.ZERO : d;
    }

    @Override
    public String toString() {
        return "TokenPair[principal=" + principal + ", expiresAt=" + expiresAt + "]";
    }
}
