package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.rollout.MemberObservation;
import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutId;
import io.pgfleet.domain.rollout.RolloutState;
import io.pgfleet.domain.rollout.TimelineEvent;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads rollouts outside any change.
 */
public interface LoadRolloutsPort {

    /**
     * One rollout.
     *
     * @param id the rollout
     * @return it, or empty when unknown
     */
    Optional<Rollout> loadRollout(RolloutId id);

    /**
     * Rollouts, newest first (by id, descending), from below an id: a page of a keyset-paged list.
     *
     * @param state  only in this state, when given
     * @param before only rollouts with a smaller id ({@link Long#MAX_VALUE}: from the newest)
     * @param limit  at most this many
     * @return the rollouts
     */
    List<Rollout> loadRollouts(Optional<RolloutState> state, long before, int limit);

    /**
     * The ids of the rollouts that are running or paused.
     *
     * @return the ids
     */
    List<RolloutId> loadActiveRollouts();

    /**
     * The latest entries of a rollout's timeline, oldest first.
     *
     * @param id    the rollout
     * @param limit at most this many
     * @return the entries
     */
    List<TimelineEvent> loadTimeline(RolloutId id, int limit);

    /**
     * The server instance that drives the rollout: while it is running or paused, the one that holds
     * the driver's lease; otherwise (or while no instance holds the lease) the one that made its
     * latest automatic step, or that started it.
     *
     * @param id the rollout
     * @return its name, or empty for a rollout started by an earlier release that no instance moved
     */
    Optional<String> loadDriver(RolloutId id);

    /**
     * What is known of these collectors for judging a wave (see {@link RolloutStorePort.Transaction#observe}).
     *
     * @param ids the collectors
     * @return by collector; decommissioned ones are left out
     */
    Map<CollectorId, MemberObservation> observe(Collection<CollectorId> ids);
}
