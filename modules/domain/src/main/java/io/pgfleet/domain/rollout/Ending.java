package io.pgfleet.domain.rollout;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * How a rollout ended.
 *
 * @param at       when
 * @param reason   why, in a sentence
 * @param failures the failing members of the wave that rolled it back, with their errors (at most {@link #MAX_LISTED})
 */
public record Ending(Instant at, String reason, List<MemberFailure> failures) {

    /** The most failing members kept with a rollback. */
    public static final int MAX_LISTED = 50;

    /** Copies and bounds the failures. */
    public Ending {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(reason, "reason");
        failures = List.copyOf(failures.size() > MAX_LISTED ? failures.subList(0, MAX_LISTED) : failures);
    }
}
