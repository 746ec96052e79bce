package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.rollout.MemberObservation;
import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutId;
import io.pgfleet.domain.rollout.TimelineEvent;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs one step of a rollout (its start, a wave, its completion or rollback, an operator's command)
 * as one transaction together with the layer changes and effective revisions it makes.
 */
public interface RolloutStorePort {

    /**
     * Runs the work in a transaction and commits it when the work says so, else rolls it back.
     *
     * @param work the step, deciding from what it reads through the transaction
     * @param <T>  the work's result
     * @return the work's result
     * @throws StorageUnavailableException when the database cannot be reached
     */
    <T> T transact(Function<Transaction, LayerStorePort.Outcome<T>> work);

    /**
     * What a rollout step can read and write: everything a layer change can, and the rollouts.
     * A step takes the layers lock first ({@link #lockLayers()}), then the rollout's row.
     */
    interface Transaction extends LayerStorePort.Transaction {

        /**
         * Reserves the id of a new rollout.
         *
         * @return the id
         */
        RolloutId nextRolloutId();

        /**
         * Locks and reads a rollout.
         *
         * @param id the rollout
         * @return it, or empty when unknown
         */
        Optional<Rollout> lockRollout(RolloutId id);

        /**
         * Stores a new rollout with its wave plan.
         *
         * @param rollout the rollout
         * @param starter the server instance that started it: its driver until an instance moves it
         */
        void insertRollout(Rollout rollout, String starter);

        /**
         * Stores a rollout's new state (its plan never changes).
         *
         * @param rollout the rollout
         * @param driver  the server instance that made an automatic step, empty for an operator's command
         */
        void updateRollout(Rollout rollout, String driver);

        /**
         * Adds entries to a rollout's timeline.
         *
         * @param id     the rollout
         * @param events the entries, in order
         */
        void appendTimeline(RolloutId id, List<TimelineEvent> events);

        /**
         * Stores a layer version without making it current (a rollout's staged version).
         *
         * @param revision the version following the layer's latest
         */
        void insertStaged(LayerRevision revision);

        /**
         * Makes a stored layer version the layer's current version (a completed rollout's staged version).
         *
         * @param layer   the layer
         * @param version the version
         */
        void makeCurrent(LayerId layer, ConfigVersion version);

        /**
         * Which of these collectors cannot be waited for: stale (not seen for three push or pull intervals) or never
         * seen, the fleet view's {@code stale} and {@code never_seen}.
         *
         * @param ids the collectors
         * @return the stale ones
         */
        Set<CollectorId> stale(Collection<CollectorId> ids);

        /**
         * What is known of these collectors for judging a wave: their current effective revision and
         * their agents' latest apply reports. Decommissioned collectors are left out.
         *
         * @param ids the collectors
         * @return by collector
         */
        Map<CollectorId, MemberObservation> observe(Collection<CollectorId> ids);
    }
}
