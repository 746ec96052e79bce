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
import io.pgfleet.domain.schema.ParseOutcome;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    sealed interface Recomputed permits Ok, Refused, Lacking {
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
              int unknownTotal) implements Recomputed {
        Ok(List<Save> saves) {
            this(saves, Map.of(), List.of(), 0);
        }
    }

    /**
     * @param members the first invalid members
     * @param total   how many are invalid
     */
    record Refused(List<MemberErrors> members, int total) implements Recomputed {
    }

    /** Parses layer documents once per change. */
    final class Session {
        private final Map<ContentHash, ParseOutcome> parsed = new HashMap<>();

        Composition compose(LayerMember member, World world) {
            List<LayerContent> layers = new ArrayList<>();
            List<LayerError> syntax = new ArrayList<>();
            world.fleet().ifPresent(f -> add(layers, syntax, f.layer(), f.version().value(), f.document()));
            for (Group g : LayerStack.applicable(world.groups(), member.labels())) {
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
         * Recomputes the members' effective documents: refused when one is invalid; then every member
         * whose effective document changes is checked against its agent's facts, and refused (CHECK) or
         * marked (FORCE) when it lacks something. Members whose document does not change are not
         * checked: a change must not be refused for what it does not touch.
         */
        Recomputed recompute(List<LayerMember> members, World world, Instant at, Capabilities capabilities) {
            List<Save> saves = new ArrayList<>();
            List<MemberErrors> invalid = new ArrayList<>();
            Map<CollectorId, Composition.Composed> changed = new LinkedHashMap<>();
            int total = 0;
            for (LayerMember m : members) {
                switch (compose(m, world)) {
                    case Composition.Invalid inv -> {
                        total++;
                        if (invalid.size() < MAX_REPORTED) {
                            invalid.add(new MemberErrors(m.id(), inv.errors()));
                        }
                    }
                    case Composition.Composed c -> EffectiveRevision.after(m.id(), m.effective(), c, at)
                            .ifPresent(r -> {
                                boolean isNew = m.effective().map(e -> !e.revision().equals(r.revision())).orElse(true);
                                saves.add(new Save(r, isNew));
                                if (isNew) {
                                    changed.put(m.id(), c);
                                }
                            });
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
    }

    Session session() {
        return new Session();
    }

    /** Parses a document alone (a layer validated as a partial document). */
    ParseOutcome parse(ConfigDocument document) {
        return parser.parse(document);
    }
}
