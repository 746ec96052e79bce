package io.pgfleet.application.port.in;

import io.pgfleet.domain.access.Principal;

import java.time.Instant;
import java.util.Objects;

/**
 * What a successful login, refresh or registration hands out.
 *
 * @param principal    who the tokens are for
 * @param accessToken  short-lived signed token for {@code Authorization: Bearer}
 * @param expiresAt    when the access token expires
 * @param refreshToken one-time token that obtains the next pair
 */
public record TokenPair(Principal principal, String accessToken, Instant expiresAt, String refreshToken) {

    /** Requires every part. */
    public TokenPair {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(accessToken, "accessToken");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(refreshToken, "refreshToken");
    }

    @Override
    public String toString() {
        return "TokenPair[principal=" + principal + ", expiresAt=" + expiresAt + "]";
    }
}
