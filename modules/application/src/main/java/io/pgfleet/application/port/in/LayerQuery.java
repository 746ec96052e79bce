package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerRevision;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Reading the fleet layer, groups and their layers.
 */
public interface LayerQuery {

    /** Largest page of a history or member list. */
    int MAX_PAGE = 500;

    /**
     * A layer's latest version.
     *
     * @param layer the fleet or a group
     * @return the version, or empty when the layer has none (or the group does not exist)
     */
    Optional<LayerRevision> latest(LayerId layer);

    /**
     * One version of a layer.
     *
     * @param layer   the fleet or a group
     * @param version the version
     * @return the version, or empty
     */
    Optional<LayerRevision> version(LayerId layer, ConfigVersion version);

    /**
     * A page of a layer's history, newest first.
     *
     * @param layer         the fleet or a group
     * @param beforeVersion only versions below this
     * @param limit         at most this many, 1..{@link #MAX_PAGE}
     * @return the versions
     */
    List<LayerRevision> history(LayerId layer, int beforeVersion, int limit);

    /**
     * Every group, by id.
     *
     * @return the groups
     */
    List<Group> groups();

    /**
     * One group.
     *
     * @param id the group
     * @return the group, or empty when it does not exist
     */
    Optional<Group> group(GroupId id);

    /**
     * When a group was deleted: its layer's history stays readable, since rollouts and the audit
     * trail name its versions and the id is not given to another group, until the retention purge
     * deletes the group with them (as long after its deletion as audit entries are kept).
     *
     * @param id the group
     * @return when it was deleted, or empty when it exists or never existed
     */
    Optional<Instant> groupDeletedAt(GroupId id);

    /**
     * A group's members, by id, keyset-paged.
     *
     * @param id    the group
     * @param after only ids after this one, empty text for the first page
     * @param limit at most this many, 1..{@link #MAX_PAGE}
     * @return the members, or empty when the group does not exist
     */
    Optional<List<CollectorId>> members(GroupId id, String after, int limit);
}
