package io.pgfleet.application.port.in;

import io.pgfleet.domain.identity.Actor;

import java.time.Duration;
import java.util.Objects;

/**
 * Logging out on the server: the session a refresh token belongs to ends, with its refresh tokens
 * and the access tokens issued in it, on every instance.
 */
public interface EndSessionUseCase {

    /**
     * Ends the session of a refresh token. Holding the token is the credential, as for a refresh;
     * a token that is unknown, expired or already revoked ends nothing, and says so only by the
     * result (the caller's answer is the same: the session is over either way). Such failures
     * count towards the caller's address's ceiling, shared with failed refreshes.
     *
     * @param refreshToken the token
     * @param actor        who calls, whose address is counted
     * @return ended, nothing ended, or throttled (the token not even looked up)
     */
    Ending endSession(String refreshToken, Actor actor);

    /** The outcome of a logout. */
    sealed interface Ending {
        /** A session that was going on has ended. */
        record Ended() implements Ending {
        }

        /** The token named no session going on: nothing changed. */
        record NothingEnded() implements Ending {
        }

        /**
         * Refused unlooked-at: the caller's address made too many failed refreshes and logouts.
         *
         * @param retryAfter how long until its next one is looked up
         */
        record Throttled(Duration retryAfter) implements Ending {
            /** Requires the wait. */
            public Throttled {
                Objects.requireNonNull(retryAfter, "retryAfter");
            }
        }
    }
}
