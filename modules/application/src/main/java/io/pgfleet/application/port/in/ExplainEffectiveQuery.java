package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.layer.Composition;
import io.pgfleet.domain.layer.EffectiveRevision;

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
     * @return the explanation, or empty when the collector is unknown or decommissioned
     */
    Optional<Explanation> explain(CollectorId id);

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
