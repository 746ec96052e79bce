package io.pgfleet.application.port.in;

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
     * @return done, not found, or members invalid (nothing stored)
     */
    LayerChangeResult changeLabels(CollectorId id, Map<String, String> labels, Actor actor);

    /**
     * Decommissions a collector: its tokens stop working, it leaves the fleet view and every group,
     * its history and audit stay, and its id cannot be registered again.
     *
     * @param id    the collector
     * @param actor who decommissions it
     * @return done or not found
     */
    LayerChangeResult decommission(CollectorId id, Actor actor);
}
