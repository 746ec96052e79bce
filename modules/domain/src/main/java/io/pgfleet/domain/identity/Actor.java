package io.pgfleet.domain.identity;

import java.util.Objects;

/**
 * Who performed a write, and from where: recorded on every revision and audit entry.
 *
 * @param name    the user name or collector id of the principal
 * @param address the client address the request came from, empty when unknown
 */
public record Actor(String name, String address) {

    /** Requires a non-blank name. */
    public Actor {
        Objects.requireNonNull(address, "address");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an actor has a name");
        }
    }
}
