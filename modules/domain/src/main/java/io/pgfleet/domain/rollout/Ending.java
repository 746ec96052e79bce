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
 * @param notRolledBack      the first members a rollback could not give their previous effective document back
 *                           (at most {@link #MAX_LISTED}), each with why; they keep the revision they run
 * @param notRolledBackTotal how many there are
 */
public record Ending(Instant at, String reason, List<MemberFailure> failures, List<MemberFailure> notRolledBack,
                     int notRolledBackTotal) {

    /** The most failing members kept with a rollback. */
    public static final int MAX_LISTED = 50;

    /** Copies and bounds the lists; the total counts at least the members listed. */
    public Ending {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(reason, "reason");
        failures = List.copyOf(failures.size() > MAX_LISTED ? failures.subList(0, MAX_LISTED) : failures);
        notRolledBack = List.copyOf(notRolledBack.size() > MAX_LISTED ? notRolledBack.subList(0, MAX_LISTED)
                : notRolledBack);
        if (notRolledBackTotal < notRolledBack.size()) {
            throw new IllegalArgumentException("the total of members not rolled back counts those listed");
        }
    }

    /**
     * An ending where every member that had to go back went back.
     *
     * @param at       when
     * @param reason   why
     * @param failures the failing members
     */
    public Ending(Instant at, String reason, List<MemberFailure> failures) {
        this(at, reason, failures, List.of(), 0);
    }
}
