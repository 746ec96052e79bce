package io.pgfleet.domain.layer;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a layer change needs to know of one collector: its labels (which groups it is in), its own
 * layer and its current effective revision.
 *
 * @param id        the collector
 * @param labels    its labels
 * @param own       its own layer's latest version and document, if any
 * @param effective its current effective revision, if any
 */
public record LayerMember(CollectorId id, Map<String, String> labels, Optional<OwnLayer> own,
                          Optional<EffectiveRevision> effective) {

    /** Copies the labels; requires every part. */
    public LayerMember {
        Objects.requireNonNull(id, "id");
        labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
        Objects.requireNonNull(own, "own");
        Objects.requireNonNull(effective, "effective");
    }

    /**
     * The same collector with other labels.
     *
     * @param newLabels the labels
     * @return the member
     */
    public LayerMember withLabels(Map<String, String> newLabels) {
        return new LayerMember(id, newLabels, own, effective);
    }

    /**
     * The same collector with another own version.
     *
     * @param revision the own layer's new latest version
     * @return the member
     */
    public LayerMember withOwn(ConfigRevision revision) {
        return new LayerMember(id, labels, Optional.of(OwnLayer.of(revision)), effective);
    }
}
