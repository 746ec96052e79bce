package io.pgfleet.domain.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * Which audit entries to list. Empty strings mean "any".
 *
 * @param collectorId only this collector's entries
 * @param actor       only this user's (or collector's) writes
 * @param action      only this action ({@code config.publish} …)
 * @param since       only entries at or after this instant
 * @param until       only entries before this instant
 * @param limit       at most this many, 1..1000
 */
public record AuditFilter(String collectorId, String actor, String action, Instant since, Instant until, int limit) {

    /** The largest page. */
    public static final int MAX_LIMIT = 1000;

    /** Requires a sane window and limit. */
    public AuditFilter {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(until, "until");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT);
        }
        if (!since.isBefore(until)) {
            throw new IllegalArgumentException("since must be before until");
        }
    }

    /**
     * Everything, newest first.
     *
     * @param limit at most this many
     * @return the filter
     */
    public static AuditFilter all(int limit) {
        return new AuditFilter("", "", "", Instant.EPOCH, Instant.parse("9999-12-31T00:00:00Z"), limit);
    }
}
