package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.capability.MemberFacts;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.StagedLayer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Runs a change of configuration layers, groups, labels or a collector's own layer as one
 * transaction: everything the work stores (layer version, audit entry, effective revisions and
 * their announcements) is committed together, or nothing is.
 */
public interface LayerStorePort {

    /**
     * Runs the work in a transaction and commits it when the work says so, else rolls it back.
     *
     * @param work the change, deciding from what it reads through the transaction
     * @param <T>  the work's result
     * @return the work's result
     * @throws StorageUnavailableException when the database cannot be reached
     */
    <T> T transact(Function<Transaction, Outcome<T>> work);

    /**
     * The result of a unit of work and whether to keep what it wrote.
     *
     * @param value  the result
     * @param commit true to commit, false to roll back
     * @param <T>    the result type
     */
    record Outcome<T>(T value, boolean commit) {
        /** Requires the value. */
        public Outcome {
            Objects.requireNonNull(value, "value");
        }

        /**
         * Keep the writes.
         *
         * @param value the result
         * @param <T>   its type
         * @return the outcome
         */
        public static <T> Outcome<T> commit(T value) {
            return new Outcome<>(value, true);
        }

        /**
         * Discard the writes.
         *
         * @param value the result
         * @param <T>   its type
         * @return the outcome
         */
        public static <T> Outcome<T> rollback(T value) {
            return new Outcome<>(value, false);
        }
    }

    /**
     * A version of a collector's own layer with its audit entry, stored together.
     *
     * @param revision the version
     * @param audit    its audit entry
     */
    record OwnVersion(ConfigRevision revision, AuditEntry audit) {
        /** Both are required. */
        public OwnVersion {
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(audit, "audit");
        }
    }

    /**
     * The layers every collector's merge shares, read together.
     *
     * @param fleet       the fleet layer's current version
     * @param groups      the groups, by id
     * @param groupLayers each group's current layer version
     * @param staged      the versions staged by active rollouts, by rollout
     */
    record SharedLayers(Optional<LayerRevision> fleet, List<Group> groups, Map<GroupId, LayerRevision> groupLayers,
                        List<StagedLayer> staged) {
        /** Copies the collections. */
        public SharedLayers {
            Objects.requireNonNull(fleet, "fleet");
            groups = List.copyOf(groups);
            groupLayers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(groupLayers));
            staged = List.copyOf(staged);
        }
    }

    /**
     * What a layer change can read and write inside its transaction ({@link LayerStorePort#transact}).
     *
     * <p>Locking protocol: a change of the fleet layer, a group or a group's layer (one that may
     * affect many collectors) first takes the layers lock exclusively ({@link #lockLayers()}), so such
     * changes run one after another and every layer's versions are gap-free; a change of one
     * collector alone (its arrival, its labels, bringing it up to date) takes the layers lock in
     * shared mode ({@link #lockLayersShared()}), so such changes of different collectors run side by
     * side but never while the layers change. Every change then locks the rows of the collectors
     * whose effective documents it may change ({@link #lockMembers}, {@link #lockMember}), always in
     * id order, so a collector's effective revision is computed by one transaction at a time from
     * the layers as committed.
     */
    /**
     * A collector locked for a publish of its own layer: as a layer change sees it, and its own
     * layer's latest revision in full (a publish's precondition is checked against it, and an
     * unchanged or conflicting publish answers with it).
     *
     * @param member      the collector as merging needs it
     * @param ownRevision its own layer's latest revision, if any (the same version as the member's)
     */
    record OwnPublishTarget(LayerMember member, Optional<ConfigRevision> ownRevision) {

        /** Requires both parts, and the same own version in each. */
        public OwnPublishTarget {
            Objects.requireNonNull(member, "member");
            Objects.requireNonNull(ownRevision, "ownRevision");
            if (!member.own().map(o -> o.version()).equals(ownRevision.map(ConfigRevision::version))) {
                throw new IllegalArgumentException("the own revision of " + member.id() + " is not the member's own version");
            }
        }
    }

    interface Transaction {

        /** Serialises every change of the fleet layer, groups and group layers until the end of the transaction. */
        void lockLayers();

        /**
         * Keeps the layers and groups from changing until the end of the transaction, without
         * excluding other transactions that take this shared lock (changes of other single collectors).
         */
        void lockLayersShared();

        /**
         * A layer's current version: its latest, except that a version staged by a rollout becomes
         * current only when the rollout completes.
         *
         * @param layer the fleet or a group
         * @return the version, or empty when the layer has none
         */
        Optional<LayerRevision> latestLayer(LayerId layer);

        /**
         * One version of a layer.
         *
         * @param layer   the fleet or a group
         * @param version the version
         * @return that version, or empty
         */
        Optional<LayerRevision> layerVersion(LayerId layer, ConfigVersion version);

        /**
         * The latest version of every group's layer.
         *
         * @return by group
         */
        Map<GroupId, LayerRevision> latestGroupLayers();

        /**
         * The layer versions under an active rollout, each with the members that merge it
         * (every other collector merges the layer's current version, {@link #latestLayer}).
         *
         * @return at most one per layer
         */
        List<StagedLayer> stagings();

        /**
         * The groups that exist (not deleted).
         *
         * @return every group
         */
        List<Group> groups();

        /**
         * Whether an id was ever used by a group, deleted ones included.
         *
         * @param id the id
         * @return true when taken
         */
        boolean groupIdTaken(GroupId id);

        /**
         * Locks and reads the active (not decommissioned) collectors matching any of the selectors, in id order.
         *
         * @param anyOf the selectors; the empty selector matches every collector
         * @return the members
         */
        default List<LayerMember> lockMembers(List<LabelSelector> anyOf) {
            return readMembers(lockMemberIds(anyOf));
        }

        /**
         * Locks the active (not decommissioned) collectors matching any of the selectors, in id
         * order, and answers their ids only: a change reaching a huge fleet reads them a page at a
         * time ({@link #readMembers}), so its memory does not grow with the fleet's documents.
         *
         * @param anyOf the selectors; the empty selector matches every collector
         * @return the ids, in id order
         */
        List<CollectorId> lockMemberIds(List<LabelSelector> anyOf);

        /**
         * Reads collectors this transaction has locked, as committed when they were locked or since.
         *
         * @param ids the collectors, in id order
         * @return the active ones among them, in id order
         */
        List<LayerMember> readMembers(List<CollectorId> ids);

        /**
         * Locks and reads active collectors whose effective revision lacks its configuration's
         * hash, in id order.
         *
         * @param afterId only collectors whose id sorts after this one (empty text for the first page)
         * @param limit   at most this many
         * @return the members
         */
        List<LayerMember> lockIncomplete(String afterId, int limit);

        /**
         * Locks and reads one active collector.
         *
         * @param id the collector
         * @return the member, or empty when unknown or decommissioned
         */
        Optional<LayerMember> lockMember(CollectorId id);

        /**
         * When a collector was decommissioned: read after a lock or read of active collectors
         * ({@link #lockMember}, {@link #lockCollectors}) found none for the id, so that the change is
         * refused as "gone for good" rather than "unknown" (its row stays, also as the tombstone the
         * retention purge leaves; its id is never reused).
         *
         * @param id the collector
         * @return when, or empty when no collector ever had the id or it is not decommissioned
         */
        Optional<Instant> decommissionedAt(CollectorId id);

        /**
         * The shared layers as committed now: the fleet layer's current version, the groups, each
         * group's current layer version, and the versions staged by active rollouts.
         *
         * @return the layers
         */
        default SharedLayers sharedLayers() {
            return new SharedLayers(latestLayer(new LayerId.Fleet()), groups(), latestGroupLayers(), stagings());
        }

        /**
         * Locks several active collectors for publishes of their own layers, in id order (the order
         * every change locks them in, so that two never wait for each other), and reads them after
         * locking, with their own layers' latest revisions in full.
         *
         * @param ids the collectors, in id order
         * @return the active ones among them, in id order
         */
        List<OwnPublishTarget> lockCollectors(List<CollectorId> ids);

        /**
         * Stores a new version of the fleet layer or a group's layer.
         *
         * @param revision the version following the latest
         */
        void insertLayer(LayerRevision revision);

        /**
         * Stores a new version of a collector's own layer.
         *
         * @param revision the version following the latest
         */
        void insertOwn(ConfigRevision revision);

        /**
         * Stores a version of a collector's own layer with its audit entry.
         *
         * @param revision the version following the latest
         * @param audit    its audit entry
         */
        default void insertOwn(ConfigRevision revision, AuditEntry audit) {
            insertOwn(revision);
            audit(audit);
        }

        /**
         * Stores versions of collectors' own layers with their audit entries, in the order given (a
         * collector's versions one after another, the first following its latest), as if each were
         * stored alone by {@link #insertOwn(ConfigRevision, AuditEntry)}; an adapter may write them
         * all at once. When one does not follow, the transaction fails.
         *
         * @param versions the versions and their audit entries, in arrival order
         */
        default void insertOwn(List<OwnVersion> versions) {
            versions.forEach(v -> insertOwn(v.revision(), v.audit()));
        }

        /**
         * Creates or updates a group.
         *
         * @param group the group
         * @param at    when
         */
        void saveGroup(Group group, Instant at);

        /**
         * Deletes a group (its id stays taken, its layer's history is kept).
         *
         * @param id the group
         * @param at when
         */
        void deleteGroup(GroupId id, Instant at);

        /**
         * Replaces a collector's labels.
         *
         * @param id     the collector
         * @param labels the labels
         */
        void saveLabels(CollectorId id, Map<String, String> labels);

        /**
         * Marks a collector decommissioned and revoked (for good: its revocation is never lifted), and
         * revokes its refresh tokens. Its enrolment tokens, even unused ones, no longer enrol it.
         * The change is announced to every instance when the transaction commits
         * ({@link ConfigChangeFeedPort.Listener#principalChanged}).
         *
         * @param id the collector
         * @param at when
         */
        void decommission(CollectorId id, Instant at);

        /**
         * Stores a collector's effective revision and, when its number changed, announces it to every
         * server instance once the transaction commits.
         *
         * @param revision  the revision
         * @param announce  whether the number is new (a change of sources alone is not announced)
         */
        void saveEffective(EffectiveRevision revision, boolean announce);

        /**
         * What the agents of some collectors last reported about their hosts.
         *
         * @param ids the collectors
         * @return the facts of those whose agents reported any; the others are unknown
         */
        Map<CollectorId, MemberFacts> memberFacts(List<CollectorId> ids);

        /**
         * Records what each collector's new effective document needs and its host lacks (empty to clear
         * the mark), shown in the fleet view; a collector that never reported keeps no mark.
         *
         * @param gaps by collector
         */
        void saveCapabilityGaps(Map<CollectorId, List<CapabilityGap>> gaps);

        /**
         * Records the write in the audit trail.
         *
         * @param entry the entry
         */
        void audit(AuditEntry entry);
    }
}
