package io.pgfleet.application.service;

import java.time.Duration;
import java.util.Objects;

/**
 * Lifetimes of the tokens the server hands out.
 *
 * @param refreshTokenTtl   how long a refresh token may wait to be used
 * @param enrolmentTokenTtl how long an enrolment token may wait to be used
 * @param refreshReuseGrace how long after its first use a refresh token may be presented once more
 *                          (a lost answer) and still be answered, instead of revoking its family
 * @param accessTokenClockSkew how far the clocks of the instances and their clients may disagree: an
 *                          access token is still accepted this long after its expiry (and this long
 *                          before its issue time)
 */
public record SecuritySettings(Duration refreshTokenTtl, Duration enrolmentTokenTtl, Duration refreshReuseGrace,
                               Duration accessTokenClockSkew) {

    /** The longest reuse grace accepted: longer would let a stolen token live on. */
    public static final Duration MAX_REUSE_GRACE = Duration.ofMinutes(5);
    /** The clock skew allowed unless set otherwise. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    /** The largest clock skew accepted: more would keep an expired token working that much longer. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

    /** Requires positive durations. */
    public SecuritySettings {
        Objects.requireNonNull(refreshTokenTtl, "refreshTokenTtl");
        Objects.requireNonNull(enrolmentTokenTtl, "enrolmentTokenTtl");
        Objects.requireNonNull(refreshReuseGrace, "refreshReuseGrace");
        Objects.requireNonNull(accessTokenClockSkew, "accessTokenClockSkew");
        if (accessTokenClockSkew.isNegative() || accessTokenClockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("the access token clock skew is 0 .. 300 s");
        }
        if (refreshReuseGrace.isNegative() || refreshReuseGrace.compareTo(MAX_REUSE_GRACE) > 0) {
            throw new IllegalArgumentException("the refresh token reuse grace is 0 .. 300 s");
        }
        if (refreshTokenTtl.isNegative() || refreshTokenTtl.isZero() || enrolmentTokenTtl.isNegative()
                || enrolmentTokenTtl.isZero()) {
            throw new IllegalArgumentException("token lifetimes are positive");
        }
    }

    /**
     * 30 days for refresh tokens, 24 hours for enrolment tokens, 30 s of reuse grace, 30 s of clock skew.
     *
     * @return the defaults
     */
    public static SecuritySettings defaults() {
        return new SecuritySettings(Duration.ofDays(30), Duration.ofHours(24), Duration.ofSeconds(30), DEFAULT_CLOCK_SKEW);
    }

    /**
     * These settings with another clock skew.
     *
     * @param skew how long an access token is accepted past its expiry
     * @return the new settings
     */
    public SecuritySettings withAccessTokenClockSkew(Duration skew) {
        return new SecuritySettings(refreshTokenTtl, enrolmentTokenTtl, refreshReuseGrace, skew);
    }
}
