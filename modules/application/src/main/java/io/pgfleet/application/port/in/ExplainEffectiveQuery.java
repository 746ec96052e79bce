package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.layer.Composition;
import io.pgfleet.domain.layer.EffectiveRevision;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Where each key of a collector's effective configuration comes from.
 */
public interface ExplainEffectiveQuery {

    /**
     * Merges the collector's layers as they are now and names each key's source.
     *
     * @param id the collector
     * @return the explanation, or why there is none
     */
    ExplainResult explain(CollectorId id);

    /**
     * The outcome of explaining a collector's effective configuration. Only a live collector has
     * one; a decommissioned collector's id is told from one no collector ever had by the use case,
     * on that path only (one read of the collector's decommission time, never when an explanation
     * is found), so that the answers can differ without their caller asking anyone else.
     */
    sealed interface ExplainResult {

        /**
         * The live collector's explanation.
         *
         * @param explanation key by key
         */
        record Explained(Explanation explanation) implements ExplainResult {
            /** Requires the explanation. */
            public Explained {
                Objects.requireNonNull(explanation, "explanation");
            }
        }

        /**
         * No collector ever had this id.
         *
         * @param collectorId the id asked for
         */
        record CollectorNotFound(CollectorId collectorId) implements ExplainResult {
            /** Requires the id. */
            public CollectorNotFound {
                Objects.requireNonNull(collectorId, "collectorId");
            }
        }

        /**
         * The collector was decommissioned: it has no effective configuration any more.
         *
         * @param collectorId the collector
         * @param at          when it was decommissioned
         */
        record Decommissioned(CollectorId collectorId, Instant at) implements ExplainResult {
            /** Requires both. */
            public Decommissioned {
                Objects.requireNonNull(collectorId, "collectorId");
                Objects.requireNonNull(at, "at");
            }
        }
    }

    /**
     * A collector's effective configuration, key by key.
     *
     * @param composition the merge of its layers (or why it is invalid)
     * @param revision    its stored effective revision, if any
     */
    record Explanation(Composition composition, Optional<EffectiveRevision> revision) {
        /** Requires both. */
        public Explanation {
            Objects.requireNonNull(composition, "composition");
            Objects.requireNonNull(revision, "revision");
        }
    }
}
