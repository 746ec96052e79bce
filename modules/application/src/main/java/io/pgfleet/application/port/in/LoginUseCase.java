package io.pgfleet.application.port.in;

import io.pgfleet.domain.identity.Actor;

/**
 * A person obtains tokens with user name and password.
 */
public interface LoginUseCase {

    /**
     * Logs in.
     *
     * @param username the user name as typed
     * @param password the password
     * @param actor    who calls, for the address
     * @return tokens, or refused for an unknown user, a wrong password or a disabled user alike
     */
    TokenResult login(String username, String password, Actor actor);
}
