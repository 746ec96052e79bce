package io.pgfleet.domain.rollout;

import io.pgfleet.domain.collector.CollectorId;

import java.util.List;

/**
 * The members of one wave, fixed when the rollout starts.
 *
 * @param members the members that receive the staged version when the wave starts, in rollout order
 * @param skipped the stale members this wave would have taken; they are not waited for
 */
public record PlannedWave(List<CollectorId> members, List<CollectorId> skipped) {
    /** Copies the lists. */
    public PlannedWave {
        members = List.copyOf(members);
        skipped = List.copyOf(skipped);
    }
}
