package io.pgfleet.domain.access;

import io.pgfleet.domain.collector.CollectorId;

import java.util.Objects;
import java.util.Optional;

/**
 * An authenticated caller: a user with a human role, or a collector whose subject is its id.
 *
 * @param subject the user name, or the collector id
 * @param role    what it may do
 */
public record Principal(String subject, Role role) {

    /** Requires a subject; a collector's subject is a valid collector id. */
    public Principal {
        Objects.requireNonNull(role, "role");
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("a principal has a subject");
        }
        if (role == Role.COLLECTOR && !CollectorId.isValid(subject)) {
            throw new IllegalArgumentException("a collector principal's subject is its collector id");
        }
    }

    /**
     * The collector this principal is, when it is one.
     *
     * @return the id, or empty for users
     */
    public Optional<CollectorId> collectorId() {
        return role == Role.COLLECTOR ? Optional.of(CollectorId.of(subject)) : Optional.empty();
    }
}
