package io.pgfleet.application.service;

import java.time.Duration;
import java.util.Objects;

/**
 * Lifetimes of the tokens the server hands out.
 *
 * @param refreshTokenTtl   how long a refresh token may wait to be used
 * @param enrolmentTokenTtl how long an enrolment token may wait to be used
 */
public record SecuritySettings(Duration refreshTokenTtl, Duration enrolmentTokenTtl) {

    /** Requires positive durations. */
    public SecuritySettings {
        Objects.requireNonNull(refreshTokenTtl, "refreshTokenTtl");
        Objects.requireNonNull(enrolmentTokenTtl, "enrolmentTokenTtl");
        if (refreshTokenTtl.isNegative() || refreshTokenTtl.isZero() || enrolmentTokenTtl.isNegative()
                || enrolmentTokenTtl.isZero()) {
            throw new IllegalArgumentException("token lifetimes are positive");
        }
    }

    /**
     * 30 days for refresh tokens, 24 hours for enrolment tokens.
     *
     * @return the defaults
     */
    public static SecuritySettings defaults() {
        return new SecuritySettings(Duration.ofDays(30), Duration.ofHours(24));
    }
}
