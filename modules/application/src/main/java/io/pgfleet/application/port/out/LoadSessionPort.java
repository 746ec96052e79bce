package io.pgfleet.application.port.out;

/**
 * Whether a session (a refresh-token family) is still going on: access tokens name the session
 * they were issued in, and end with it.
 */
public interface LoadSessionPort {

    /**
     * Whether the session still has a refresh token that is not revoked. A logout, a reused refresh
     * token, a changed password or a revoked collector revokes every token of the session at once;
     * rotating the refresh token keeps it going.
     *
     * @param session the refresh-token family
     * @return false once it has ended (or when no such session exists)
     * @throws StorageUnavailableException when the database cannot be reached
     */
    boolean isSessionLive(String session);
}
