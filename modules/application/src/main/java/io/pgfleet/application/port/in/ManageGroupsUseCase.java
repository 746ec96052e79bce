package io.pgfleet.application.port.in;

import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerChangeResult;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * Creating, changing and deleting groups. A change that moves collectors in or out of a group
 * with a layer changes their effective documents: it is validated for every affected collector
 * first and refused, nothing stored, when any would become invalid.
 */
public interface ManageGroupsUseCase {

    /**
     * Creates a group.
     *
     * @param group the group
     * @param actor who creates it
     * @return done, already exists, or members invalid
     */
    LayerChangeResult create(Group group, Actor actor);

    /**
     * Changes a group.
     *
     * @param id          the group
     * @param selector    a new selector, if any
     * @param priority    a new priority, if any
     * @param description a new description, if any
     * @param actor       who changes it
     * @return done, not found, or members invalid
     */
    default LayerChangeResult update(GroupId id, Optional<LabelSelector> selector, OptionalInt priority,
                                     Optional<String> description, Actor actor) {
        return update(id, selector, priority, description, actor, CapabilityMode.CHECK);
    }

    /**
     * Changes a group; members whose hosts lack what their new effective documents need refuse it
     * or are marked.
     *
     * @param id          the group
     * @param selector    a new selector, if any
     * @param priority    a new priority, if any
     * @param description a new description, if any
     * @param actor       who changes it
     * @param mode        refuse or mark members lacking capabilities
     * @return done, not found, members invalid, lacking capabilities, or under a rollout (a new
     *         selector or priority while a rollout stages the group's layer; nothing stored)
     */
    LayerChangeResult update(GroupId id, Optional<LabelSelector> selector, OptionalInt priority,
                             Optional<String> description, Actor actor, CapabilityMode mode);

    /**
     * Deletes a group (its id is not reused and its layer's history is kept until the retention
     * purge deletes the group, as long after as audit entries are kept).
     *
     * @param id    the group
     * @param actor who deletes it
     * @return done, not found, or members invalid
     */
    LayerChangeResult delete(GroupId id, Actor actor);
}
