package io.pgfleet.application.port.in;

import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutId;
import io.pgfleet.domain.rollout.RolloutState;
import io.pgfleet.domain.rollout.TimelineEvent;
import io.pgfleet.domain.rollout.WaveCounts;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reading rollouts: a list, and one rollout with each wave's counts and its timeline.
 */
public interface RolloutQuery {

    /** The most rollouts one page of the list holds. */
    int MAX_LIST = 100;
    /** The most timeline entries shown with a rollout (the latest). */
    int MAX_TIMELINE = 200;

    /**
     * One page of the rollouts, newest first: every rollout is on exactly one page, whatever starts
     * meanwhile (a new one has a larger id than any page reached so far).
     *
     * @param state  only in this state, when given
     * @param before only rollouts with a smaller id than this ({@link Long#MAX_VALUE}: the first page)
     * @param limit  1 to {@value #MAX_LIST}
     * @return the page
     */
    Page list(Optional<RolloutState> state, long before, int limit);

    /**
     * A page of rollouts.
     *
     * @param rollouts newest first
     * @param more     whether older rollouts follow (the next page starts below the last one's id)
     */
    record Page(List<Rollout> rollouts, boolean more) {
        /** Copies the list. */
        public Page {
            rollouts = List.copyOf(rollouts);
        }
    }

    /**
     * One rollout, as it stands now.
     *
     * @param id the rollout
     * @return its view, or empty when unknown
     */
    Optional<RolloutView> get(RolloutId id);

    /**
     * A rollout as it stands now.
     *
     * @param rollout  the rollout
     * @param waves    each wave's counts (the current wave's live)
     * @param timeline the latest timeline entries, oldest first
     * @param driver   the server instance that drives it (the lease holder while it is active), or that
     *                 moved or started it last; empty only for a rollout of an earlier release never moved
     */
    record RolloutView(Rollout rollout, List<WaveCounts> waves, List<TimelineEvent> timeline, Optional<String> driver) {
        /** Copies the lists. */
        public RolloutView {
            Objects.requireNonNull(rollout, "rollout");
            waves = List.copyOf(waves);
            timeline = List.copyOf(timeline);
            Objects.requireNonNull(driver, "driver");
        }
    }
}
