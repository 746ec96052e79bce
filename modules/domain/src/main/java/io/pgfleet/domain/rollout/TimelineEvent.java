package io.pgfleet.domain.rollout;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a rollout's timeline.
 *
 * @param at     when
 * @param kind   what happened: {@code started}, {@code wave_started}, {@code wave_passed}, {@code paused},
 *               {@code resumed}, {@code completed}, {@code rolled_back}
 * @param detail a sentence for people
 */
public record TimelineEvent(Instant at, String kind, String detail) {
    /** Requires every part. */
    public TimelineEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }
}
