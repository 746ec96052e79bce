package io.pgfleet.domain.access;

/**
 * Whether a principal may perform an operation.
 */
public sealed interface AccessDecision {

    /** Allowed. */
    record Allowed() implements AccessDecision {
    }

    /**
     * Refused.
     *
     * @param reason why, in words fit for the caller
     */
    record Denied(String reason) implements AccessDecision {
    }

    /**
     * Whether this is an allowance.
     *
     * @return true when allowed
     */
    default boolean allowed() {
        return this instanceof Allowed;
    }
}
