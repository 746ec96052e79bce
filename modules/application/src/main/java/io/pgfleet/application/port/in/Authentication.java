package io.pgfleet.application.port.in;

import io.pgfleet.domain.access.Principal;

/**
 * The outcome of authenticating a request's bearer token.
 */
public sealed interface Authentication {

    /**
     * A genuine, current token of an active principal.
     *
     * @param principal who calls
     */
    record Authenticated(Principal principal) implements Authentication {
    }

    /**
     * Refused.
     *
     * @param reason why
     */
    record Rejected(String reason) implements Authentication {
    }
}
