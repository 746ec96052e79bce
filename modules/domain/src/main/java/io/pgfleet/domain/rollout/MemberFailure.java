package io.pgfleet.domain.rollout;

import io.pgfleet.domain.collector.CollectorId;

import java.util.Objects;

/**
 * A member that failed its wave, and why (its agent's error, or the deadline it missed).
 *
 * @param collectorId the member
 * @param error       the reason
 */
public record MemberFailure(CollectorId collectorId, String error) {
    /** Requires both. */
    public MemberFailure {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(error, "error");
    }
}
