package io.pgfleet.application.port.in;

/**
 * Logging out on the server: the session a refresh token belongs to ends, with its refresh tokens
 * and the access tokens issued in it, on every instance.
 */
public interface EndSessionUseCase {

    /**
     * Ends the session of a refresh token. Holding the token is the credential, as for a refresh;
     * a token that is unknown, expired or already revoked ends nothing, and says so only by the
     * result (the caller's answer is the same: the session is over either way).
     *
     * @param refreshToken the token
     * @return whether a session that was going on has ended
     */
    boolean endSession(String refreshToken);
}
