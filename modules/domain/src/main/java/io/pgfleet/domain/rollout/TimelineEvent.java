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
 * @param by     who caused it: an operator, or the server instance that drove the rollout (empty until known)
 */
public record TimelineEvent(Instant at, String kind, String detail, String by) {
    /** Requires every part. */
    public TimelineEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(by, "by");
    }

    /**
     * An event whose author the caller adds later ({@link #by(String)}).
     *
     * @param at     when
     * @param kind   what happened
     * @param detail a sentence for people
     */
    public TimelineEvent(Instant at, String kind, String detail) {
        this(at, kind, detail, "");
    }

    /**
     * The same event, by someone.
     *
     * @param who an operator's name or a driving instance
     * @return the event
     */
    public TimelineEvent by(String who) {
        return new TimelineEvent(at, kind, detail, who);
    }
}
