package io.pgfleet.application.service;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Growing delays per (user, address), a ceiling per address, nothing shared between addresses. */
class LoginThrottleTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final LoginThrottle throttle = new LoginThrottle(LoginLimitSettings.defaults());

    @Test
    void fiveFreeFailuresThenDelaysThatDoubleUpToFifteenMinutes() {
        for (int i = 0; i < 4; i++) {
            throttle.loginFailed("admin", "10.0.0.1", T0);
            assertEquals(Optional.empty(), throttle.loginBlocked("admin", "10.0.0.1", T0));
        }
        Instant t = T0;
        Duration expected = Duration.ofSeconds(1);
        for (int failure = 5; failure < 20; failure++) {
            throttle.loginFailed("admin", "10.0.0." + 1, t);
            assertEquals(Optional.of(expected), throttle.loginBlocked("admin", "10.0.0.1", t), "after failure " + failure);
            t = t.plus(expected).plusSeconds(61); // wait it out (and past the address window)
            expected = expected.multipliedBy(2).compareTo(Duration.ofMinutes(15)) > 0 ? Duration.ofMinutes(15)
                    : expected.multipliedBy(2);
        }
    }

    @Test
    void otherAddressesAndUsersAreNotAffectedAndSuccessResetsThePair() {
        for (int i = 0; i < 6; i++) {
            throttle.loginFailed("admin", "10.0.0.1", T0);
        }
        assertEquals(true, throttle.loginBlocked("admin", "10.0.0.1", T0).isPresent());
        assertEquals(Optional.empty(), throttle.loginBlocked("admin", "10.0.0.2", T0));
        assertEquals(Optional.empty(), throttle.loginBlocked("alice", "10.0.0.1", T0));
        throttle.loginSucceeded("admin", "10.0.0.1", T0);
        assertEquals(Optional.empty(), throttle.loginBlocked("admin", "10.0.0.1", T0));
    }

    @Test
    void aPairThatLoggedInIsKnownForThirtyDaysAndOnlyThatPair() {
        assertEquals(false, throttle.known("admin", "10.0.0.1", T0), "nobody is known before logging in");
        throttle.loginSucceeded("admin", "10.0.0.1", T0);
        assertEquals(true, throttle.known("admin", "10.0.0.1", T0.plusSeconds(60)));
        assertEquals(false, throttle.known("admin", "10.0.0.2", T0), "another address is a stranger");
        assertEquals(false, throttle.known("alice", "10.0.0.1", T0), "another user from there is a stranger");
        assertEquals(false, throttle.known("admin", "10.0.0.1", T0.plus(LoginThrottle.KNOWN_FOR)));
    }

    @Test
    void thirtyFailuresPerAddressPerMinute() {
        for (int i = 0; i < 30; i++) {
            assertEquals(Optional.empty(), throttle.loginBlocked("user" + i, "10.0.0.9", T0.plusSeconds(1)));
            throttle.loginFailed("user" + i, "10.0.0.9", T0.plusSeconds(1));
        }
        assertEquals(Optional.of(Duration.ofSeconds(50)), throttle.loginBlocked("someone", "10.0.0.9", T0.plusSeconds(11)));
        assertEquals(Optional.empty(), throttle.loginBlocked("someone", "10.0.0.9", T0.plusSeconds(61)), "a new window");
        assertEquals(Optional.empty(), throttle.loginBlocked("someone", "10.0.0.8", T0.plusSeconds(11)));
    }

    @Test
    void failedRefreshesAndLogoutsHaveACeilingOfTheirOwnPerAddressForAWindow() {
        for (int i = 0; i < 1000; i++) {
            assertEquals(Optional.empty(), throttle.tokenBlocked("10.0.0.1", T0.plusSeconds(10)));
            throttle.tokenFailed("10.0.0.1", T0.plusSeconds(10));
        }
        assertEquals(Optional.of(Duration.ofSeconds(60)), throttle.tokenBlocked("10.0.0.1", T0.plusSeconds(10)),
                "until the window that began with the first failure ends");
        assertEquals(Optional.empty(), throttle.tokenBlocked("10.0.0.2", T0.plusSeconds(10)), "another address");
        assertEquals(Optional.empty(), throttle.loginBlocked("admin", "10.0.0.1", T0.plusSeconds(10)),
                "logins from there are counted apart");
        assertEquals(Optional.empty(), throttle.tokenBlocked("10.0.0.1", T0.plusSeconds(70)), "the window ended");
    }
}
