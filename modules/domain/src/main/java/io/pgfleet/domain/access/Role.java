package io.pgfleet.domain.access;

import java.util.Locale;

/**
 * What a principal is allowed to be: {@code admin} > {@code operator} > {@code viewer} for people,
 * {@code collector} for agents, which see only themselves.
 */
public enum Role {
    /** Reads everything. */
    VIEWER(1),
    /** Also publishes, rolls back and provisions collectors. */
    OPERATOR(2),
    /** Also manages users and reads the audit trail. */
    ADMIN(3),
    /** An agent: its own configuration, status and samples only. */
    COLLECTOR(0);

    private final int rank;

    Role(int rank) {
        this.rank = rank;
    }

    /**
     * Whether this role includes everything another human role may do.
     *
     * @param other the role required
     * @return true when this role is at least {@code other}; collectors include no human role
     */
    public boolean atLeast(Role other) {
        if (this == COLLECTOR || other == COLLECTOR) {
            return this == other;
        }
        return rank >= other.rank;
    }

    /**
     * The lower-case name used in tokens and the API.
     *
     * @return e.g. {@code operator}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a role name.
     *
     * @param label {@code admin}, {@code operator}, {@code viewer} or {@code collector}
     * @return the role
     * @throws IllegalArgumentException for anything else
     */
    public static Role parse(String label) {
        for (Role r : values()) {
            if (r.label().equals(label)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + label + "'; expected admin, operator, viewer or collector");
    }

    /**
     * Whether users (people) may hold this role.
     *
     * @return false for {@link #COLLECTOR}
     */
    public boolean isHuman() {
        return this != COLLECTOR;
    }
}
