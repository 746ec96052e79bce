package io.pgfleet.application.service;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.capability.CapabilityCheck;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.capability.CapabilityRefusal;
import io.pgfleet.domain.capability.MemberFacts;
import io.pgfleet.domain.capability.MemberGaps;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.layer.KeySource;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.layer.Composition;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LayerContent;
import io.pgfleet.domain.layer.LayerError;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.LayerStack;
import io.pgfleet.domain.layer.MemberErrors;
import io.pgfleet.domain.layer.StagedLayer;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.Validation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Computes collectors' effective revisions from the layers as a change would leave them. Each
 * layer version is parsed once per change, however many members it reaches.
 */
final class LayerComposer {

    /** How many invalid members a refusal lists. */
    static final int MAX_REPORTED = 50;

    private final ParseConfigDocumentPort parser;
    // Sessions opened for real work (not the warm-up's): the warm-up ends once they run its code.
    private final java.util.concurrent.atomic.AtomicLong sessionsOfWork = new java.util.concurrent.atomic.AtomicLong();

    LayerComposer(ParseConfigDocumentPort parser) {
        this.parser = parser;
    }

    /**
     * The shared layers: the fleet layer, the groups and their layers' current versions, and the
     * versions staged by active rollouts with the members that merge them.
     *
     * @param fleet       the fleet layer's current version
     * @param groups      the groups
     * @param groupLayers each group's current layer version
     * @param staged      the staged versions under active rollouts
     */
    record World(Optional<LayerRevision> fleet, List<Group> groups, Map<GroupId, LayerRevision> groupLayers,
                 List<StagedLayer> staged) {

        /** The staged version of this layer, if a rollout holds it. */
        Optional<StagedLayer> staging(LayerId layer) {
            return staged.stream().filter(s -> s.layer().equals(layer)).findFirst();
        }

        /** The version of a layer this member merges: the staged one when its wave has started, else the current one. */
        private Optional<LayerRevision> forMember(LayerId layer, Optional<LayerRevision> current, CollectorId member) {
            return staging(layer).filter(s -> s.receivers().contains(member)).map(StagedLayer::staged).or(() -> current);
        }

        /**
         * The staged layers this member merges (none unless a rollout's started wave holds it): part
         * of what its merge depends on.
         */
        List<LayerId> receiving(CollectorId member) {
            if (staged.isEmpty()) {
                return List.of();
            }
            return staged.stream().filter(s -> s.receivers().contains(member)).map(StagedLayer::layer).toList();
        }

        /** The same layers with this layer's staging replaced (or added). */
        World withStaging(StagedLayer staging) {
            List<StagedLayer> list = new ArrayList<>(withoutStaging(staging.layer()).staged());
            list.add(staging);
            return new World(fleet, groups, groupLayers, list);
        }

        /** The same layers without a staging for this layer. */
        World withoutStaging(LayerId layer) {
            return new World(fleet, groups, groupLayers, staged.stream().filter(s -> !s.layer().equals(layer)).toList());
        }
        /**
         * The current version of the fleet or a group's layer, as read with the rest (an own layer
         * is not part of the shared layers: empty).
         */
        Optional<LayerRevision> current(LayerId layer) {
            return switch (layer) {
                case LayerId.Fleet f -> fleet;
                case LayerId.Group g -> Optional.ofNullable(groupLayers.get(g.id()));
                case LayerId.Own o -> Optional.empty();
            };
        }

        /** The group with this id, if there is one. */
        Optional<Group> group(GroupId id) {
            return groups.stream().filter(g -> g.id().equals(id)).findFirst();
        }

        static World read(LayerStorePort.Transaction tx) {
            LayerStorePort.SharedLayers layers = tx.sharedLayers();
            return new World(layers.fleet(), layers.groups(), layers.groupLayers(), layers.staged());
        }

        World withLayer(LayerRevision revision) {
            if (revision.layer() instanceof LayerId.Group g) {
                Map<GroupId, LayerRevision> layers = new LinkedHashMap<>(groupLayers);
                layers.put(g.id(), revision);
                return new World(fleet, groups, layers, staged);
            }
            return new World(Optional.of(revision), groups, groupLayers, staged);
        }

        World withGroup(Group group) {
            List<Group> list = new ArrayList<>(groups.stream().filter(g -> !g.id().equals(group.id())).toList());
            list.add(group);
            return new World(fleet, list, groupLayers, staged);
        }

        World withoutGroup(GroupId id) {
            Map<GroupId, LayerRevision> layers = new LinkedHashMap<>(groupLayers);
            layers.remove(id);
            return new World(fleet, groups.stream().filter(g -> !g.id().equals(id)).toList(), layers, staged);
        }
    }

    /** An effective revision to store, and whether its number is new. */
    record Save(EffectiveRevision revision, boolean announce) {
    }

    /** The outcome of recomputing members. */
    sealed interface Recomputed permits Validated, Lacking {
    }

    /**
     * The outcome of recomputing members without a capability check (a rollout's wave steps, completing
     * stored revisions): valid or not, never lacking, so callers need no case for what cannot happen.
     */
    sealed interface Validated extends Recomputed permits Ok, Refused {
    }

    /** @param refusal members lack what their new effective documents need; nothing to store */
    record Lacking(CapabilityRefusal refusal) implements Recomputed {
    }

    /**
     * How a change treats what members' hosts can run.
     *
     * @param mode  refuse members that lack something, or accept and mark them
     * @param facts the facts of collectors, by id (those never reported are absent)
     */
    record Capabilities(CapabilityMode mode, Function<List<CollectorId>, Map<CollectorId, MemberFacts>> facts) {
        static Capabilities of(LayerStorePort.Transaction tx, CapabilityMode mode) {
            return new Capabilities(mode, tx::memberFacts);
        }
    }

    /**
     * @param saves what to store
     * @param gaps  what each member with a new effective document and known facts lacks (empty: nothing),
     *              to record with the saves
     * @param unknown      the first members with a new effective document whose agents never reported facts
     * @param unknownTotal how many
     */
    record Ok(List<Save> saves, Map<CollectorId, List<CapabilityGap>> gaps, List<CollectorId> unknown,
              int unknownTotal) implements Validated {
        Ok(List<Save> saves) {
            this(saves, Map.of(), List.of(), 0);
        }
    }

    /**
     * @param members the first invalid members
     * @param total   how many are invalid
     */
    record Refused(List<MemberErrors> members, int total) implements Validated {
    }

    /**
     * Parses layer documents once per change, and merges and validates each distinct stack of
     * layer contents once: collectors whose layers are the same texts (the same fleet and group
     * versions, own documents of equal content) share one merge, one validation and one rendered
     * document, however many of them a change reaches.
     */
    final class Session {
        private final Map<ContentHash, ParseOutcome> parsed = new ConcurrentHashMap<>();
        // Validations made before the change (a publish's own document, validated whole), by tree.
        private final Map<DocumentValue.Table, Validation> validated = new ConcurrentHashMap<>();
        // Merges by stack, kept across the pages of one change (they all see the same layers).
        private final Map<StackKey, Composition> composed = new ConcurrentHashMap<>();
        private final Map<StackKey, Hashes> hashes = new ConcurrentHashMap<>();
        private World composedFor;
        // Where a change's time went, for its log line: reading members, merging and validating them.
        private long readNanos;
        private long mergeNanos;

        /** Milliseconds spent reading members a page at a time. */
        long readMillis() {
            return readNanos / 1_000_000;
        }

        /** Nanoseconds spent reading members a page at a time. */
        long readNanos() {
            return readNanos;
        }

        /** Nanoseconds spent merging, validating and rendering the members read. */
        long mergeNanos() {
            return mergeNanos;
        }

        /** Milliseconds spent merging, validating and rendering the members read. */
        long mergeMillis() {
            return mergeNanos / 1_000_000;
        }

        /** How many distinct layer stacks were merged (each once, however many members share it). */
        int distinctStacks() {
            return composed.size();
        }

        /** Takes a document's parse made before the change (to validate it), instead of parsing it again. */
        void parsedAlready(ConfigDocument document, ParseOutcome outcome) {
            parsed.putIfAbsent(document.hash(), outcome);
        }

        /**
         * Takes a document's validation made before the change: a merge that leaves that document's
         * tree as it is (no other layer sets a key) is not validated again.
         */
        void validatedAlready(ParseOutcome outcome, Validation validation) {
            if (outcome instanceof ParseOutcome.Parsed p) {
                validated.putIfAbsent(p.root(), validation);
            }
        }

        private Validation validate(DocumentValue.Table merged) {
            if (!validated.isEmpty()) {
                Validation known = validated.get(merged);
                if (known != null) {
                    return known;
                }
            }
            return ConfigValidator.validate(merged);
        }

        Composition compose(LayerMember member, World world) {
            return compose(member, world, LayerStack.applicable(world.groups(), member.labels()));
        }

        private Composition compose(LayerMember member, World world, List<Group> applicable) {
            List<LayerContent> layers = new ArrayList<>();
            List<LayerError> syntax = new ArrayList<>();
            world.forMember(new LayerId.Fleet(), world.fleet(), member.id())
                    .ifPresent(f -> add(layers, syntax, f.layer(), f.version().value(), f.document()));
            for (Group g : applicable) {
                world.forMember(new LayerId.Group(g.id()), Optional.ofNullable(world.groupLayers().get(g.id())), member.id())
                        .ifPresent(r -> add(layers, syntax, r.layer(), r.version().value(), r.document()));
            }
            member.own().ifPresent(o -> add(layers, syntax, new LayerId.Own(member.id()), o.version().value(), o.document()));
            if (!syntax.isEmpty()) {
                return new Composition.Invalid(syntax);
            }
            return LayerStack.compose(layers, member.effective().isPresent(), this::validate);
        }

        private void add(List<LayerContent> layers, List<LayerError> errors, LayerId id, int version, ConfigDocument doc) {
            switch (parsed.computeIfAbsent(doc.hash(), h -> parser.parse(doc))) {
                case ParseOutcome.Parsed p -> layers.add(new LayerContent(id, version, doc, p.root()));
                case ParseOutcome.SyntaxErrors s -> s.errors().forEach(e -> errors.add(new LayerError(id.source(version), e)));
            }
        }

        /**
         * Recomputes the members' effective documents: refused when one is invalid; then every member
         * whose effective document changes is checked against its agent's facts, and refused (CHECK) or
         * marked (FORCE) when it lacks something. Members whose document does not change are not
         * checked: a change must not be refused for what it does not touch.
         */
        Recomputed recompute(List<LayerMember> members, World world, Instant at, Capabilities capabilities) {
            Map<CollectorId, Composition.Composed> changed = new LinkedHashMap<>();
            return switch (page(members, world, at, changed)) {
                case Ok ok -> checkCapabilities(ok.saves(), changed, capabilities);
                case Refused refused -> refused;
            };
        }

        /**
         * Recomputes many collectors a page at a time: only one page of their documents is in
         * memory at once, whatever the size of the fleet; then checks capabilities as
         * {@link #recompute(List, World, Instant, Capabilities)} does.
         *
         * @param ids          the collectors, locked by the change
         * @param read         reads a page of them
         * @param world        the layers as the change leaves them
         * @param at           the time of the change
         * @param capabilities how to treat what members' hosts lack
         * @return every save, or the first invalid (or lacking) members and how many there are
         */
        Recomputed recompute(List<CollectorId> ids, Function<List<CollectorId>, List<LayerMember>> read, World world,
                             Instant at, Capabilities capabilities) {
            List<Save> saves = new ArrayList<>();
            List<MemberErrors> invalid = new ArrayList<>();
            Map<CollectorId, Composition.Composed> changed = new LinkedHashMap<>();
            int total = 0;
            for (int from = 0; from < ids.size(); from += PAGE) {
                long start = System.nanoTime();
                List<LayerMember> members = read.apply(ids.subList(from, Math.min(ids.size(), from + PAGE)));
                long readAt = System.nanoTime();
                Validated result = page(members, world, at, total == 0 ? changed : new HashMap<>());
                readNanos += readAt - start;
                mergeNanos += System.nanoTime() - readAt;
                switch (result) {
                    case Ok ok -> {
                        if (total == 0) {
                            saves.addAll(ok.saves());
                        }
                    }
                    case Refused r -> {
                        // Refused: nothing will be stored, so the saves need not be kept.
                        total += r.total();
                        saves.clear();
                        changed.clear();
                        r.members().stream().limit(MAX_REPORTED - invalid.size()).forEach(invalid::add);
                    }
                }
            }
            if (total > 0) {
                return new Refused(invalid, total);
            }
            return checkCapabilities(saves, changed, capabilities);
        }

        private Recomputed checkCapabilities(List<Save> saves, Map<CollectorId, Composition.Composed> changed,
                                             Capabilities capabilities) {
            if (changed.isEmpty()) {
                return new Ok(saves);
            }
            Map<CollectorId, MemberFacts> facts = capabilities.facts().apply(List.copyOf(changed.keySet()));
            Map<CollectorId, List<CapabilityGap>> gaps = new LinkedHashMap<>();
            List<MemberGaps> lacking = new ArrayList<>();
            List<CollectorId> unknown = new ArrayList<>();
            int lackingTotal = 0;
            int unknownTotal = 0;
            for (Map.Entry<CollectorId, Composition.Composed> e : changed.entrySet()) {
                MemberFacts f = facts.get(e.getKey());
                if (f == null) {
                    unknownTotal++;
                    if (unknown.size() < CapabilityRefusal.MAX_LISTED) {
                        unknown.add(e.getKey());
                    }
                    continue;
                }
                Set<String> set = new HashSet<>();
                e.getValue().keys().forEach((key, source) -> {
                    if (!source.source().equals(KeySource.DEFAULT)) {
                        set.add(key);
                    }
                });
                List<CapabilityGap> g = CapabilityCheck.check(set, e.getValue().effective(), f);
                gaps.put(e.getKey(), g);
                if (!g.isEmpty()) {
                    lackingTotal++;
                    if (lacking.size() < CapabilityRefusal.MAX_LISTED) {
                        lacking.add(new MemberGaps(e.getKey(), g));
                    }
                }
            }
            if (lackingTotal > 0 && capabilities.mode() == CapabilityMode.CHECK) {
                return new Lacking(new CapabilityRefusal(lacking, lackingTotal, unknown, unknownTotal));
            }
            return new Ok(saves, gaps, unknown, unknownTotal);
        }

        /**
         * Recomputes members without looking at capabilities (completing stored revisions at start, a
         * rollout's wave steps): the answer is valid or refused, never lacking.
         */
        Validated recompute(List<LayerMember> members, World world, Instant at) {
            return page(members, world, at, new HashMap<>());
        }

        /**
         * One page of members: each distinct stack merged and validated once; the members whose
         * effective revision is new are put in {@code changed} with their composition.
         */
        private Validated page(List<LayerMember> members, World world, Instant at,
                                Map<CollectorId, Composition.Composed> changed) {
            if (composedFor != world) {
                composed.clear();
                hashes.clear();
                composedFor = world;
            }
            // Group the members by what their merge depends on: the shared layers that apply (named
            // by version, the same for every member), the own document's content and whether an
            // effective document already exists.
            Map<StackKey, List<Integer>> byStack = new LinkedHashMap<>();
            Map<List<Group>, List<Group>> applicableOf = new HashMap<>();
            // Groups are matched once per distinct set of labels, not once per member.
            Map<Map<String, String>, List<Group>> byLabels = new HashMap<>();
            List<List<Group>> applicable = new ArrayList<>(members.size());
            for (int i = 0; i < members.size(); i++) {
                LayerMember m = members.get(i);
                // Members with the same groups share one list, so keys compare by identity-fast equals.
                List<Group> groups = byLabels.computeIfAbsent(m.labels(), labels -> applicableOf.computeIfAbsent(
                        LayerStack.applicable(world.groups(), labels), g -> g));
                applicable.add(groups);
                StackKey key = new StackKey(groups, world.receiving(m.id()), m.own().map(o -> o.hash()), m.effective().isPresent());
                byStack.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
            }
            // Each distinct stack is merged and validated once, on as many cores as there are.
            List<Map.Entry<StackKey, List<Integer>>> stacks = byStack.entrySet().stream()
                    .filter(e -> !composed.containsKey(e.getKey())).toList();
            (stacks.size() > PARALLEL_FROM ? stacks.parallelStream() : stacks.stream()).forEach(e -> {
                int first = e.getValue().get(0);
                Composition c = compose(members.get(first), world, applicable.get(first));
                composed.put(e.getKey(), c);
                if (c instanceof Composition.Composed ok && ok.document().isPresent()) {
                    hashes.put(e.getKey(), new Hashes(ok.document().get().hash(), ok.effective().sha256()));
                }
            });
            List<Save> saves = new ArrayList<>();
            List<MemberErrors> invalid = new ArrayList<>();
            int total = 0;
            for (int i = 0; i < members.size(); i++) {
                LayerMember m = members.get(i);
                StackKey key = new StackKey(applicable.get(i), world.receiving(m.id()), m.own().map(o -> o.hash()),
                        m.effective().isPresent());
                Composition shared = composed.get(key);
                switch (shared) {
                    case Composition.Invalid inv -> {
                        total++;
                        if (invalid.size() < MAX_REPORTED) {
                            // Errors name the member's own layer version: compose it alone (at most 50 times).
                            Composition own = compose(m, world, applicable.get(i));
                            invalid.add(new MemberErrors(m.id(), own instanceof Composition.Invalid x ? x.errors()
                                    : inv.errors()));
                        }
                    }
                    case Composition.Composed c -> {
                        Composition.Composed mine = forMember(c, m);
                        Hashes h = hashes.get(key);
                        (h == null ? EffectiveRevision.after(m.id(), m.effective(), mine, at)
                                : EffectiveRevision.after(m.id(), m.effective(), mine, h.document(), h.effective(), at))
                                .ifPresent(r -> {
                                    boolean isNew = m.effective().map(e -> !e.revision().equals(r.revision()))
                                            .orElse(true);
                                    saves.add(new Save(r, isNew));
                                    if (isNew) {
                                        changed.put(m.id(), mine);
                                    }
                                });
                    }
                }
            }
            return total > 0 ? new Refused(invalid, total) : new Ok(saves);
        }
    }

    /** A shared document's hash and its configuration's SHA-256, computed once. */
    private record Hashes(ContentHash document, String effective) {
    }

    /** How many collectors' documents a change holds in memory at once. */
    static final int PAGE = 2000;

    /** Below this many distinct stacks, merging in parallel costs more than it saves. */
    private static final int PARALLEL_FROM = 64;

    /**
     * What a merge depends on.
     *
     * @param groups      the groups that apply, in order (their layers' versions are the change's)
     * @param receiving   the staged layers the collector merges instead of their current versions
     * @param own         the own document's content, if any
     * @param hadDocument whether the collector already had an effective document
     */
    private record StackKey(List<Group> groups, List<LayerId> receiving, Optional<ContentHash> own, boolean hadDocument) {
    }

    /**
     * A composition shared by members with equal own documents, named for one member: its own
     * layer's source (e.g. {@code collector@4}) in the sources and the keys' provenance.
     */
    private static Composition.Composed forMember(Composition.Composed shared, LayerMember member) {
        if (member.own().isEmpty() || shared.sources().isEmpty()) {
            return shared;
        }
        String mine = new LayerId.Own(member.id()).source(member.own().get().version().value());
        String theirs = shared.sources().get(shared.sources().size() - 1);
        if (mine.equals(theirs)) {
            return shared;
        }
        List<String> sources = new ArrayList<>(shared.sources());
        sources.set(sources.size() - 1, mine);
        Map<String, KeySource> keys = new LinkedHashMap<>();
        shared.keys().forEach((k, v) -> keys.put(k, v.source().equals(theirs) ? new KeySource(v.value(), mine) : v));
        return new Composition.Composed(shared.document(), sources, keys, shared.effective());
    }

    /** A session for a change, a publish or a registration: real work, counted in {@link #sessionsOfWork()}. */
    Session session() {
        sessionsOfWork.incrementAndGet();
        return new Session();
    }

    /** A session of the warm-up: the same code, not counted as work. */
    Session warmUpSession() {
        return new Session();
    }

    /**
     * A session for explaining one collector's configuration: a read (the web console's collector
     * page, {@code collector effective}) that composes one member, not the recomputation of many
     * the warm-up compiles. Not counted as work: a viewer opening a page at start must not end the
     * warm-up before the first large publish.
     */
    Session readSession() {
        return new Session();
    }

    /** How many sessions real work has opened since this composer was made. */
    long sessionsOfWork() {
        return sessionsOfWork.get();
    }

    /** Parses a document alone (a layer validated as a partial document). */
    ParseOutcome parse(ConfigDocument document) {
        return parser.parse(document);
    }
}
