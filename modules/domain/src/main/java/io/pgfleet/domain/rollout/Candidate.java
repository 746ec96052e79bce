package io.pgfleet.domain.rollout;

import io.pgfleet.domain.collector.CollectorId;

import java.util.Map;
import java.util.Objects;

/**
 * A member of the layer when a rollout starts.
 *
 * @param id     the collector
 * @param labels its labels (for selector waves)
 * @param stale  whether it is stale or never seen (as the fleet view says): skipped
 */
public record Candidate(CollectorId id, Map<String, String> labels, boolean stale) {
    /** Copies the labels. */
    public Candidate {
        Objects.requireNonNull(id, "id");
        labels = Map.copyOf(labels);
    }
}
