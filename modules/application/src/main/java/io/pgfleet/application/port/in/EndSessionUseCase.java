package io.pgfleet.application.port.in;

import io.pgfleet.domain.identity.Actor;


/**
 * Logging out on the server: the session a refresh token belongs to ends, with its refresh tokens
 * and the access tokens issued in it, on every instance.
 */
public interface EndSessionUseCase {

    /**
     * Ends the session of a refresh token. Holding the token is the credential, as for a refresh;
     * a token that is unknown, expired or already revoked ends nothing, and says so only by the
     * result (the caller's answer is the same: the session is over either way). Such failures
     * count towards the caller's address's ceiling, shared with failed refreshes, but a logout is
     * never refused for it: it can only end a session, and one user's failures must not keep
     * another behind the same address from ending theirs.
     *
     * @param refreshToken the token
     * @param actor        who calls, whose address is counted
     * @return ended or nothing ended
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

    }
}
