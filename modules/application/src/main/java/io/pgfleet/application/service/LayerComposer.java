package io.pgfleet.application.service;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.layer.Composition;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.KeySource;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LayerContent;
import io.pgfleet.domain.layer.LayerError;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.LayerStack;
import io.pgfleet.domain.layer.MemberErrors;
import io.pgfleet.domain.schema.ParseOutcome;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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

    LayerComposer(ParseConfigDocumentPort parser) {
        this.parser = parser;
    }

    /**
     * The shared layers: the fleet layer, the groups and their layers' latest versions.
     *
     * @param fleet       the fleet layer's latest version
     * @param groups      the groups
     * @param groupLayers each group's latest layer version
     */
    record World(Optional<LayerRevision> fleet, List<Group> groups, Map<GroupId, LayerRevision> groupLayers) {
        /** The group with this id, if there is one. */
        Optional<Group> group(GroupId id) {
            return groups.stream().filter(g -> g.id().equals(id)).findFirst();
        }

        static World read(LayerStorePort.Transaction tx) {
            return new World(tx.latestLayer(new LayerId.Fleet()), tx.groups(), tx.latestGroupLayers());
        }

        World withLayer(LayerRevision revision) {
            if (revision.layer() instanceof LayerId.Group g) {
                Map<GroupId, LayerRevision> layers = new LinkedHashMap<>(groupLayers);
                layers.put(g.id(), revision);
                return new World(fleet, groups, layers);
            }
            return new World(Optional.of(revision), groups, groupLayers);
        }

        World withGroup(Group group) {
            List<Group> list = new ArrayList<>(groups.stream().filter(g -> !g.id().equals(group.id())).toList());
            list.add(group);
            return new World(fleet, list, groupLayers);
        }

        World withoutGroup(GroupId id) {
            Map<GroupId, LayerRevision> layers = new LinkedHashMap<>(groupLayers);
            layers.remove(id);
            return new World(fleet, groups.stream().filter(g -> !g.id().equals(id)).toList(), layers);
        }
    }

    /** An effective revision to store, and whether its number is new. */
    record Save(EffectiveRevision revision, boolean announce) {
    }

    /** The outcome of recomputing members. */
    sealed interface Recomputed permits Ok, Refused {
    }

    /** @param saves what to store */
    record Ok(List<Save> saves) implements Recomputed {
    }

    /**
     * @param members the first invalid members
     * @param total   how many are invalid
     */
    record Refused(List<MemberErrors> members, int total) implements Recomputed {
    }

    /**
     * Parses layer documents once per change, and merges and validates each distinct stack of
     * layer contents once: collectors whose layers are the same texts (the same fleet and group
     * versions, own documents of equal content) share one merge, one validation and one rendered
     * document, however many of them a change reaches.
     */
    final class Session {
        private final Map<ContentHash, ParseOutcome> parsed = new ConcurrentHashMap<>();
        // Merges by stack, kept across the pages of one change (they all see the same layers).
        private final Map<StackKey, Composition> composed = new ConcurrentHashMap<>();
        private final Map<StackKey, Hashes> hashes = new ConcurrentHashMap<>();
        private World composedFor;

        Composition compose(LayerMember member, World world) {
            return compose(member, world, LayerStack.applicable(world.groups(), member.labels()));
        }

        private Composition compose(LayerMember member, World world, List<Group> applicable) {
            List<LayerContent> layers = new ArrayList<>();
            List<LayerError> syntax = new ArrayList<>();
            world.fleet().ifPresent(f -> add(layers, syntax, f.layer(), f.version().value(), f.document()));
            for (Group g : applicable) {
                LayerRevision r = world.groupLayers().get(g.id());
                if (r != null) {
                    add(layers, syntax, r.layer(), r.version().value(), r.document());
                }
            }
            member.own().ifPresent(o -> add(layers, syntax, new LayerId.Own(member.id()), o.version().value(), o.document()));
            if (!syntax.isEmpty()) {
                return new Composition.Invalid(syntax);
            }
            return LayerStack.compose(layers, member.effective().isPresent());
        }

        private void add(List<LayerContent> layers, List<LayerError> errors, LayerId id, int version, ConfigDocument doc) {
            switch (parsed.computeIfAbsent(doc.hash(), h -> parser.parse(doc))) {
                case ParseOutcome.Parsed p -> layers.add(new LayerContent(id, version, doc, p.root()));
                case ParseOutcome.SyntaxErrors s -> s.errors().forEach(e -> errors.add(new LayerError(id.source(version), e)));
            }
        }

        /**
         * Recomputes many collectors a page at a time: only one page of their documents is in
         * memory at once, whatever the size of the fleet.
         *
         * @param ids   the collectors, locked by the change
         * @param read  reads a page of them
         * @param world the layers as the change leaves them
         * @param at    the time of the change
         * @return every save, or the first invalid members and how many there are
         */
        Recomputed recompute(List<CollectorId> ids, Function<List<CollectorId>, List<LayerMember>> read, World world,
                             Instant at) {
            List<Save> saves = new ArrayList<>();
            List<MemberErrors> invalid = new ArrayList<>();
            int total = 0;
            for (int from = 0; from < ids.size(); from += PAGE) {
                switch (recompute(read.apply(ids.subList(from, Math.min(ids.size(), from + PAGE))), world, at)) {
                    case Ok ok -> {
                        if (total == 0) {
                            saves.addAll(ok.saves());
                        }
                    }
                    case Refused r -> {
                        // Refused: nothing will be stored, so the saves need not be kept.
                        total += r.total();
                        saves.clear();
                        r.members().stream().limit(MAX_REPORTED - invalid.size()).forEach(invalid::add);
                    }
                }
            }
            return total > 0 ? new Refused(invalid, total) : new Ok(saves);
        }

        Recomputed recompute(List<LayerMember> members, World world, Instant at) {
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
            List<List<Group>> applicable = new ArrayList<>(members.size());
            for (int i = 0; i < members.size(); i++) {
                LayerMember m = members.get(i);
                List<Group> groups = LayerStack.applicable(world.groups(), m.labels());
                // Members with the same groups share one list, so keys compare by identity-fast equals.
                groups = applicableOf.computeIfAbsent(groups, g -> g);
                applicable.add(groups);
                StackKey key = new StackKey(groups, m.own().map(o -> o.hash()), m.effective().isPresent());
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
                StackKey key = new StackKey(applicable.get(i), m.own().map(o -> o.hash()), m.effective().isPresent());
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
                                .ifPresent(r -> saves.add(new Save(r, m.effective()
                                        .map(e -> !e.revision().equals(r.revision())).orElse(true))));
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
     * @param own         the own document's content, if any
     * @param hadDocument whether the collector already had an effective document
     */
    private record StackKey(List<Group> groups, Optional<ContentHash> own, boolean hadDocument) {
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

    Session session() {
        return new Session();
    }

    /** Parses a document alone (a layer validated as a partial document). */
    ParseOutcome parse(ConfigDocument document) {
        return parser.parse(document);
    }
}
