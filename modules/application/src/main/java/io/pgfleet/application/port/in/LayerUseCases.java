package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * The fleet configuration use cases: the fleet layer, groups and their layers, labels,
 * decommissioning, and where effective values come from.
 *
 * @param publish   publishing and rolling back the fleet layer and group layers
 * @param query     reading layers, groups and members
 * @param groups    creating, changing and deleting groups
 * @param labels    labels and decommissioning
 * @param explain   per-key provenance of an effective configuration
 * @param own       a collector's own layer
 * @param capabilities checking a candidate layer version against what members' hosts can run
 * @param complete     completing effective revisions stored without their configuration's hash
 */
public record LayerUseCases(PublishLayerUseCase publish, LayerQuery query, ManageGroupsUseCase groups,
                            ManageCollectorLabelsUseCase labels, ExplainEffectiveQuery explain, OwnConfigQuery own,
                            CheckCapabilitiesQuery capabilities, CompleteEffectiveRevisionsUseCase complete) {

    /** Requires every use case. */
    public LayerUseCases {
        Objects.requireNonNull(publish, "publish");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(groups, "groups");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(explain, "explain");
        Objects.requireNonNull(own, "own");
        Objects.requireNonNull(capabilities, "capabilities");
        Objects.requireNonNull(complete, "complete");
    }
}
