package io.pgfleet.domain.rollout;

import io.pgfleet.domain.layer.LabelSelector;

import java.util.Objects;

/**
 * How one wave of a rollout chooses its members.
 */
public sealed interface WaveSpec {

    /**
     * The members whose labels match the selector (and that no earlier wave took).
     *
     * @param selector the labels to match; at least one
     */
    record BySelector(LabelSelector selector) implements WaveSpec {
        /** Requires a selector with at least one label: an empty one would take every member at once. */
        public BySelector {
            Objects.requireNonNull(selector, "selector");
            if (selector.labels().isEmpty()) {
                throw new IllegalArgumentException("a selector wave names at least one label; use {\"percent\": 100} for every member");
            }
        }
    }

    /**
     * Cumulative: the first ceil(percent × N / 100) members in the rollout's stable order, N the
     * number of members that are not stale (those that earlier waves took stay in their wave).
     *
     * @param percent 1 to 100
     */
    record ByPercent(int percent) implements WaveSpec {
        /** Requires 1 to 100. */
        public ByPercent {
            if (percent < 1 || percent > 100) {
                throw new IllegalArgumentException("a wave's percent is 1 to 100, not " + percent);
            }
        }

        /**
         * How many members of the order this wave reaches, cumulatively.
         *
         * @param members the number of members that are not stale
         * @return ceil(percent × members / 100)
         */
        public int reach(int members) {
            return (int) ((percent * (long) members + 99) / 100);
        }
    }
}
