package io.pgfleet.application.port.in;

import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.LayerChangeResult;

import java.util.Map;

/**
 * Operators' changes to a collector's place in the fleet: its labels (which decide its groups)
 * and its decommissioning.
 */
public interface ManageCollectorLabelsUseCase {

    /**
     * Replaces a collector's labels; its groups, and so its effective document, follow.
     *
     * @param id     the collector
     * @param labels the new labels
     * @param actor  who changes them
     * @return done, not found, decommissioned, or members invalid (nothing stored)
     */
    default LayerChangeResult changeLabels(CollectorId id, Map<String, String> labels, Actor actor) {
        return changeLabels(id, labels, actor, CapabilityMode.CHECK);
    }

    /**
     * Replaces a collector's labels; refused (or marked) when its host lacks what its new effective
     * document needs.
     *
     * @param id     the collector
     * @param labels the new labels
     * @param actor  who changes them
     * @param mode   refuse or mark when the host lacks capabilities
     * @return done, not found, decommissioned, members invalid, or lacking capabilities (nothing stored)
     */
    LayerChangeResult changeLabels(CollectorId id, Map<String, String> labels, Actor actor, CapabilityMode mode);

    /**
     * Decommissions a collector: its tokens stop working, it leaves the fleet view and every group,
     * its history and audit stay, and its id cannot be registered again.
     *
     * @param id    the collector
     * @param actor who decommissions it
     * @return done, not found, or decommissioned (already: nothing changes)
     */
    LayerChangeResult decommission(CollectorId id, Actor actor);
}
