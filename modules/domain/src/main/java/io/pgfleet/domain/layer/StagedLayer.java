package io.pgfleet.domain.layer;

import io.pgfleet.domain.collector.CollectorId;

import java.util.Objects;
import java.util.Set;

/**
 * A layer version under a rollout: the members in its started waves merge it, every other
 * collector keeps the layer's current version.
 *
 * @param staged    the staged version
 * @param receivers the members of the started waves
 * @param rollout   the rollout's id
 */
public record StagedLayer(LayerRevision staged, Set<CollectorId> receivers, long rollout) {
    /** Copies the receivers. */
    public StagedLayer {
        Objects.requireNonNull(staged, "staged");
        receivers = Set.copyOf(receivers);
    }

    /**
     * The layer under rollout.
     *
     * @return the fleet or a group
     */
    public LayerId layer() {
        return staged.layer();
    }
}
