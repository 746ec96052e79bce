package io.pgfleet.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A logged-in session as cached on disk: the server it belongs to and the token pair.
 *
 * @param server       the server's base URL
 * @param subject      who is logged in
 * @param role         their role
 * @param accessToken  the bearer token
 * @param issuedAt     when this client received it
 * @param expiresAt    when the server stops accepting it
 * @param refreshToken the one-time token that buys the next pair
 */
record Session(String server, String subject, String role, String accessToken, Instant issuedAt, Instant expiresAt,
               String refreshToken) {

    /** The most a token is refreshed ahead of its expiry. */
    static final Duration MAX_MARGIN = Duration.ofSeconds(30);

    Session {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(accessToken, "accessToken");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(refreshToken, "refreshToken");
    }

    /**
     * Whether the access token should be replaced before use: it expires within a quarter of its
     * lifetime (at most 30 s), so a request never races the expiry.
     */
    boolean expiringAt(Instant now) {
        Duration lifetime = Duration.between(issuedAt, expiresAt);
        Duration margin = lifetime.dividedBy(4);
        if (margin.compareTo(MAX_MARGIN) > 0) {
            margin = MAX_MARGIN;
        } else if (margin.isNegative()) {
            margin = Duration.ZERO;
        }
        return !now.plus(margin).isBefore(expiresAt);
    }
}
