package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerRevision;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Reads layers, groups and effective revisions outside any change.
 */
public interface LoadLayersPort {

    /**
     * A collector's effective revision.
     *
     * @param id the collector
     * @return the revision, or empty when it has no effective document (or is unknown or decommissioned)
     */
    Optional<EffectiveRevision> loadEffective(CollectorId id);

    /**
     * A layer's latest version.
     *
     * @param layer the fleet or a group
     * @return the version, or empty
     */
    Optional<LayerRevision> loadLatestLayer(LayerId layer);

    /**
     * One version of a layer.
     *
     * @param layer   the fleet or a group
     * @param version the version
     * @return the version, or empty
     */
    Optional<LayerRevision> loadLayerVersion(LayerId layer, ConfigVersion version);

    /**
     * A page of a layer's history, newest first.
     *
     * @param layer         the fleet or a group
     * @param beforeVersion only versions below this
     * @param limit         at most this many
     * @return the versions
     */
    List<LayerRevision> loadLayerHistory(LayerId layer, int beforeVersion, int limit);

    /**
     * Every group that exists, by id.
     *
     * @return the groups
     */
    List<Group> loadGroups();

    /**
     * One group.
     *
     * @param id the group
     * @return the group, or empty when unknown or deleted
     */
    Optional<Group> loadGroup(GroupId id);

    /**
     * When a group was deleted. Its row stays (its id is not reused), and so does its layer's history,
     * until the retention purge deletes them all; the id is then one that never existed.
     *
     * @param id the group
     * @return when it was deleted, or empty when it exists or never existed
     */
    Optional<Instant> loadGroupDeletedAt(GroupId id);

    /**
     * The active collectors a selector matches, by id, keyset-paged.
     *
     * @param selector the selector
     * @param after    only ids after this one (empty text for the first page)
     * @param limit    at most this many
     * @return the collector ids
     */
    List<CollectorId> loadMembers(LabelSelector selector, String after, int limit);
}
