package io.pgfleet.application.port.out;

import io.pgfleet.domain.access.Principal;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Signed, short-lived access tokens that every server instance can verify.
 */
public interface AccessTokenPort {

    /**
     * A signed token for a principal, bound to the session (refresh-token family) it was issued in:
     * when that session ends (logout, a reused refresh token, a changed password), so does the token.
     *
     * @param principal who it is for
     * @param session   the refresh-token family
     * @param now       the issue time
     * @return the token and its expiry
     */
    IssuedAccessToken issue(Principal principal, String session, Instant now);

    /**
     * Checks signature, algorithm, key, issuer, audience and time.
     *
     * @param token the token text
     * @param now   the current time
     * @return the principal, or why the token is refused
     */
    TokenCheck verify(String token, Instant now);

    /**
     * How long after a key stops signing tokens signed with it may still be accepted: the longest
     * token lifetime plus clock skew and the time other instances take to learn of a new key.
     * A key superseded longer ago than this is retired.
     *
     * @return the delay, positive
     */
    java.time.Duration keyRetirementDelay();

    /**
     * A signed token.
     *
     * @param token     the compact token text
     * @param expiresAt when it stops being accepted
     */
    record IssuedAccessToken(String token, Instant expiresAt) {
    }

    /** The verdict on a presented token. */
    sealed interface TokenCheck {
        /**
         * Genuine and current.
         *
         * @param principal who presented it
         * @param session   the refresh-token family it was issued in; empty for a token of an earlier
         *                  release, which named none (it expires within one access-token lifetime)
         */
        record Valid(Principal principal, Optional<String> session) implements TokenCheck {
            /** Requires both. */
            public Valid {
                Objects.requireNonNull(principal, "principal");
                Objects.requireNonNull(session, "session");
            }
        }

        /**
         * Refused.
         *
         * @param reason why, for the log and the caller
         */
        record Invalid(String reason) implements TokenCheck {
        }
    }
}
