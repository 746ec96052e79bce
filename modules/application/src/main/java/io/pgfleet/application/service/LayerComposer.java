package io.pgfleet.application.service;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.config.ConfigDocument;
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
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.schema.ParseOutcome;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
        /** The group with this id, if there is one. */
        Optional<Group> group(GroupId id) {
            return groups.stream().filter(g -> g.id().equals(id)).findFirst();
        }

        static World read(LayerStorePort.Transaction tx) {
            return new World(tx.latestLayer(new LayerId.Fleet()), tx.groups(), tx.latestGroupLayers(), tx.stagings());
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

    /** Parses layer documents once per change. */
    final class Session {
        private final Map<ContentHash, ParseOutcome> parsed = new HashMap<>();

        Composition compose(LayerMember member, World world) {
            List<LayerContent> layers = new ArrayList<>();
            List<LayerError> syntax = new ArrayList<>();
            world.forMember(new LayerId.Fleet(), world.fleet(), member.id())
                    .ifPresent(f -> add(layers, syntax, f.layer(), f.version().value(), f.document()));
            for (Group g : LayerStack.applicable(world.groups(), member.labels())) {
                world.forMember(new LayerId.Group(g.id()), Optional.ofNullable(world.groupLayers().get(g.id())), member.id())
                        .ifPresent(r -> add(layers, syntax, r.layer(), r.version().value(), r.document()));
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

        Recomputed recompute(List<LayerMember> members, World world, Instant at) {
            List<Save> saves = new ArrayList<>();
            List<MemberErrors> invalid = new ArrayList<>();
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
                            .ifPresent(r -> saves.add(new Save(r, m.effective()
                                    .map(e -> !e.revision().equals(r.revision())).orElse(true))));
                }
            }
            return total > 0 ? new Refused(invalid, total) : new Ok(saves);
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
