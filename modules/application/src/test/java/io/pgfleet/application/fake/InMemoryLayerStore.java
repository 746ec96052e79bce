package io.pgfleet.application.fake;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.domain.audit.AuditEntry;
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

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Layers, groups, collectors and effective revisions in memory, keeping the adapter's promises:
 * a transaction sees its own writes, and a rollback leaves no trace of them (each transaction works
 * on a copy that replaces the state only on commit; transactions run one at a time). Announcements
 * are recorded in commit order.
 */
public final class InMemoryLayerStore implements LayerStorePort, LoadLayersPort {

    /** Everything stored. */
    private static final class State {
        final Map<CollectorId, Map<String, String>> labels = new TreeMap<>(java.util.Comparator.comparing(CollectorId::value));
        final Set<CollectorId> decommissioned = new HashSet<>();
        final Map<CollectorId, Instant> decommissionedAt = new HashMap<>();
        final Map<CollectorId, List<ConfigRevision>> own = new HashMap<>();
        final Map<String, List<LayerRevision>> layers = new HashMap<>();
        final Map<GroupId, Group> groups = new LinkedHashMap<>();
        final Set<GroupId> usedGroupIds = new HashSet<>();
        final Map<GroupId, Instant> deletedGroups = new HashMap<>();
        final Map<CollectorId, EffectiveRevision> effective = new HashMap<>();
        final List<AuditEntry> audit = new ArrayList<>();
        final List<String> announced = new ArrayList<>();
        final Map<CollectorId, io.pgfleet.domain.capability.MemberFacts> facts = new HashMap<>();
        final Map<CollectorId, List<io.pgfleet.domain.fleet.CapabilityGap>> gaps = new HashMap<>();

        State copy() {
            State c = new State();
            labels.forEach((k, v) -> c.labels.put(k, new TreeMap<>(v)));
            c.decommissioned.addAll(decommissioned);
            c.decommissionedAt.putAll(decommissionedAt);
            own.forEach((k, v) -> c.own.put(k, new ArrayList<>(v)));
            layers.forEach((k, v) -> c.layers.put(k, new ArrayList<>(v)));
            c.groups.putAll(groups);
            c.usedGroupIds.addAll(usedGroupIds);
            c.deletedGroups.putAll(deletedGroups);
            c.effective.putAll(effective);
            c.audit.addAll(audit);
            c.announced.addAll(announced);
            c.facts.putAll(facts);
            c.gaps.putAll(gaps);
            return c;
        }
    }

    private State state = new State();
    /** Reads of decommission times, by every transaction (rolled back or not). */
    private final java.util.concurrent.atomic.AtomicInteger decommissionReads = new java.util.concurrent.atomic.AtomicInteger();

    /** @return how many times a transaction read a collector's decommission time */
    public int decommissionReads() {
        return decommissionReads.get();
    }

    /**
     * Adds a collector.
     *
     * @param id     its id
     * @param labels its labels
     * @return this store
     */
    public synchronized InMemoryLayerStore withCollector(String id, Map<String, String> labels) {
        state.labels.put(CollectorId.of(id), new TreeMap<>(labels));
        return this;
    }

    /**
     * Records what a collector's agent reported about its host.
     *
     * @param id    the collector
     * @param facts its facts
     * @return this store
     */
    public synchronized InMemoryLayerStore withFacts(String id, io.pgfleet.domain.capability.MemberFacts facts) {
        state.facts.put(CollectorId.of(id), facts);
        return this;
    }

    /**
     * What a collector is marked as lacking.
     *
     * @param id the collector
     * @return its gaps, empty when none
     */
    public synchronized List<io.pgfleet.domain.fleet.CapabilityGap> gaps(String id) {
        return state.gaps.getOrDefault(CollectorId.of(id), List.of());
    }

    /** @return every audit entry, oldest first */
    public synchronized List<AuditEntry> audit() {
        return List.copyOf(state.audit);
    }

    /** @return every announcement {@code id:revision}, in commit order */
    public synchronized List<String> announced() {
        return List.copyOf(state.announced);
    }

    /**
     * @param layer a layer
     * @return its versions, oldest first
     */
    public synchronized List<LayerRevision> versionsOf(LayerId layer) {
        return List.copyOf(state.layers.getOrDefault(layer.label(), List.of()));
    }

    @Override
    public synchronized <T> T transact(Function<Transaction, Outcome<T>> work) {
        State working = state.copy();
        Outcome<T> outcome = work.apply(new Tx(working, decommissionReads));
        if (outcome.commit()) {
            state = working;
        }
        return outcome.value();
    }

    @Override
    public synchronized Optional<EffectiveRevision> loadEffective(CollectorId id) {
        return state.decommissioned.contains(id) ? Optional.empty() : Optional.ofNullable(state.effective.get(id));
    }

    @Override
    public synchronized Optional<LayerRevision> loadLatestLayer(LayerId layer) {
        List<LayerRevision> list = state.layers.getOrDefault(layer.label(), List.of());
        return list.isEmpty() ? Optional.empty() : Optional.of(list.get(list.size() - 1));
    }

    @Override
    public synchronized Optional<LayerRevision> loadLayerVersion(LayerId layer, ConfigVersion version) {
        return state.layers.getOrDefault(layer.label(), List.of()).stream().filter(r -> r.version().equals(version)).findFirst();
    }

    @Override
    public synchronized List<LayerRevision> loadLayerHistory(LayerId layer, int beforeVersion, int limit) {
        return state.layers.getOrDefault(layer.label(), List.of()).reversed().stream()
                .filter(r -> r.version().value() < beforeVersion).limit(limit).toList();
    }

    @Override
    public synchronized List<Group> loadGroups() {
        return List.copyOf(state.groups.values());
    }

    @Override
    public synchronized Optional<Group> loadGroup(GroupId id) {
        return Optional.ofNullable(state.groups.get(id));
    }

    @Override
    public synchronized Optional<Instant> loadGroupDeletedAt(GroupId id) {
        return Optional.ofNullable(state.deletedGroups.get(id));
    }

    @Override
    public synchronized List<CollectorId> loadMembers(LabelSelector selector, String after, int limit) {
        return state.labels.entrySet().stream()
                .filter(e -> !state.decommissioned.contains(e.getKey()) && selector.matches(e.getValue()))
                .map(Map.Entry::getKey).filter(id -> id.value().compareTo(after) > 0).limit(limit).toList();
    }

    /** A transaction's view of a working copy. */
    private static final class Tx implements Transaction {
        private final State s;
        private final java.util.concurrent.atomic.AtomicInteger decommissionReads;

        Tx(State s, java.util.concurrent.atomic.AtomicInteger decommissionReads) {
            this.s = s;
            this.decommissionReads = decommissionReads;
        }

        @Override
        public void lockLayers() {
            // Transactions run one at a time here.
        }

        @Override
        public void lockLayersShared() {
            // Transactions run one at a time here.
        }

        @Override
        public Optional<LayerRevision> latestLayer(LayerId layer) {
            List<LayerRevision> list = s.layers.getOrDefault(layer.label(), List.of());
            return list.isEmpty() ? Optional.empty() : Optional.of(list.get(list.size() - 1));
        }

        @Override
        public Optional<LayerRevision> layerVersion(LayerId layer, ConfigVersion version) {
            return s.layers.getOrDefault(layer.label(), List.of()).stream().filter(r -> r.version().equals(version)).findFirst();
        }

        @Override
        public Map<GroupId, LayerRevision> latestGroupLayers() {
            Map<GroupId, LayerRevision> out = new LinkedHashMap<>();
            s.groups.keySet().forEach(id -> latestLayer(new LayerId.Group(id)).ifPresent(r -> out.put(id, r)));
            return out;
        }

        @Override
        public List<io.pgfleet.domain.layer.StagedLayer> stagings() {
            // Rollouts are exercised against PostgreSQL; no layer is staged here.
            return List.of();
        }

        @Override
        public List<Group> groups() {
            return List.copyOf(s.groups.values());
        }

        @Override
        public boolean groupIdTaken(GroupId id) {
            return s.usedGroupIds.contains(id);
        }

        private LayerMember member(CollectorId id) {
            return new LayerMember(id, s.labels.get(id), latestOwn(id).map(io.pgfleet.domain.layer.OwnLayer::of),
                    Optional.ofNullable(s.effective.get(id)));
        }

        private Optional<ConfigRevision> latestOwn(CollectorId id) {
            List<ConfigRevision> own = s.own.getOrDefault(id, List.of());
            return own.isEmpty() ? Optional.empty() : Optional.of(own.get(own.size() - 1));
        }

        @Override
        public List<OwnPublishTarget> lockCollectors(List<CollectorId> ids) {
            return ids.stream().map(this::lockMember).flatMap(Optional::stream)
                    .map(m -> new OwnPublishTarget(m, latestOwn(m.id()))).toList();
        }

        @Override
        public List<CollectorId> lockMemberIds(List<LabelSelector> anyOf) {
            return s.labels.entrySet().stream()
                    .filter(e -> !s.decommissioned.contains(e.getKey()) && anyOf.stream().anyMatch(x -> x.matches(e.getValue())))
                    .map(Map.Entry::getKey).sorted(java.util.Comparator.comparing(CollectorId::value)).toList();
        }

        @Override
        public List<LayerMember> readMembers(List<CollectorId> ids) {
            return ids.stream().filter(id -> s.labels.containsKey(id) && !s.decommissioned.contains(id))
                    .map(this::member).toList();
        }

        @Override
        public List<LayerMember> lockIncomplete(String afterId, int limit) {
            return s.labels.keySet().stream()
                    .filter(id -> !s.decommissioned.contains(id) && id.value().compareTo(afterId) > 0
                            && s.effective.containsKey(id) && s.effective.get(id).effectiveSha256().isEmpty())
                    .sorted(java.util.Comparator.comparing(CollectorId::value)).limit(limit)
                    .map(this::member).toList();
        }

        @Override
        public Optional<LayerMember> lockMember(CollectorId id) {
            return s.labels.containsKey(id) && !s.decommissioned.contains(id) ? Optional.of(member(id)) : Optional.empty();
        }

        @Override
        public void insertLayer(LayerRevision r) {
            List<LayerRevision> list = s.layers.computeIfAbsent(r.layer().label(), k -> new ArrayList<>());
            if (r.version().value() != list.size() + 1) {
                throw new IllegalStateException("layer version " + r.version() + " does not follow " + list.size());
            }
            list.add(r);
        }

        @Override
        public void insertOwn(ConfigRevision r) {
            List<ConfigRevision> list = s.own.computeIfAbsent(r.collectorId(), k -> new ArrayList<>());
            if (r.version().value() != list.size() + 1) {
                throw new IllegalStateException("version " + r.version() + " does not follow " + list.size());
            }
            list.add(r);
        }

        @Override
        public void saveGroup(Group group, Instant at) {
            s.groups.put(group.id(), group);
            s.usedGroupIds.add(group.id());
        }

        @Override
        public void deleteGroup(GroupId id, Instant at) {
            s.groups.remove(id);
            s.deletedGroups.put(id, at);
        }

        @Override
        public void saveLabels(CollectorId id, Map<String, String> labels) {
            s.labels.put(id, new TreeMap<>(labels));
        }

        @Override
        public void decommission(CollectorId id, Instant at) {
            s.decommissioned.add(id);
            s.decommissionedAt.put(id, at);
        }

        @Override
        public Optional<Instant> decommissionedAt(CollectorId id) {
            decommissionReads.incrementAndGet();
            return Optional.ofNullable(s.decommissionedAt.get(id));
        }

        @Override
        public void saveEffective(EffectiveRevision revision, boolean announce) {
            s.effective.put(revision.collectorId(), revision);
            if (announce) {
                s.announced.add(revision.collectorId() + ":" + revision.revision());
            }
        }

        @Override
        public Map<CollectorId, io.pgfleet.domain.capability.MemberFacts> memberFacts(List<CollectorId> ids) {
            Map<CollectorId, io.pgfleet.domain.capability.MemberFacts> out = new HashMap<>();
            ids.forEach(id -> {
                if (s.facts.containsKey(id)) {
                    out.put(id, s.facts.get(id));
                }
            });
            return out;
        }

        @Override
        public void saveCapabilityGaps(Map<CollectorId, List<io.pgfleet.domain.fleet.CapabilityGap>> gaps) {
            // Like the adapter: only a collector that reported facts keeps a mark.
            gaps.forEach((id, g) -> {
                if (s.facts.containsKey(id)) {
                    s.gaps.put(id, List.copyOf(g));
                }
            });
        }

        @Override
        public void audit(AuditEntry entry) {
            s.audit.add(entry);
        }
    }
}
