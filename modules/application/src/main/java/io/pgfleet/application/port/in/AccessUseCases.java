package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * The identity and access use cases: authenticating requests, logging in, refreshing, users,
 * signing keys, the start-up bootstrap.
 *
 * @param authenticate authenticating and authorising requests
 * @param login logging in
 * @param refresh refreshing token pairs
 * @param endSession logging out: ending a session on the server
 * @param users managing users
 * @param rotateSigningKey rotating the signing key
 * @param bootstrap what a server needs before it can authenticate anyone
 * @param callerWatches the held watches that a change of their caller ends
 */
public record AccessUseCases(AuthenticateQuery authenticate, LoginUseCase login, RefreshTokenUseCase refresh,
                             EndSessionUseCase endSession, ManageUsersUseCase users, RotateSigningKeyUseCase rotateSigningKey,
                             BootstrapSecurityUseCase bootstrap, CallerWatchesUseCase callerWatches) {

    /** Requires every use case. */
    public AccessUseCases {
        Objects.requireNonNull(authenticate, "authenticate");
        Objects.requireNonNull(login, "login");
        Objects.requireNonNull(refresh, "refresh");
        Objects.requireNonNull(endSession, "endSession");
        Objects.requireNonNull(users, "users");
        Objects.requireNonNull(rotateSigningKey, "rotateSigningKey");
        Objects.requireNonNull(bootstrap, "bootstrap");
        Objects.requireNonNull(callerWatches, "callerWatches");
    }
}
