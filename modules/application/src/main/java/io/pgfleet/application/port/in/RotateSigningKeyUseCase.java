package io.pgfleet.application.port.in;

import io.pgfleet.domain.identity.Actor;

/**
 * Makes a new token signing key current; tokens signed with older keys stay valid until they expire.
 */
public interface RotateSigningKeyUseCase {

    /**
     * Rotates.
     *
     * @param actor the administrator
     * @return the new key's id
     */
    String rotateSigningKey(Actor actor);
}
