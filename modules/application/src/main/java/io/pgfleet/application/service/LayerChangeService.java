package io.pgfleet.application.service;

import io.pgfleet.application.port.in.CheckCapabilitiesQuery;
import io.pgfleet.application.port.in.CompleteEffectiveRevisionsUseCase;
import io.pgfleet.application.port.in.ExplainEffectiveQuery;
import io.pgfleet.application.port.in.LayerQuery;
import io.pgfleet.application.port.in.ManageCollectorLabelsUseCase;
import io.pgfleet.application.port.in.ManageGroupsUseCase;
import io.pgfleet.application.port.in.PublishLayerUseCase;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LayerStorePort.Outcome;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.application.port.out.RecordLayerChangeTimingPort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerChangeResult;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.LayerPublish;
import io.pgfleet.domain.layer.LayerPublishResult;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.StagedLayer;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.Validation;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * Changes of the fleet layer, groups, group layers, labels and decommissioning: each runs in one
 * transaction that validates every affected collector's effective document before storing
 * anything, then stores the change, its audit entry and the new effective revisions together.
 * A change or explanation of one collector tells a decommissioned collector's id from one no
 * collector ever had itself, reading its decommission time only when it finds no live collector
 * (and before it judges new labels, when they are refused).
 */
final class LayerChangeService implements PublishLayerUseCase, LayerQuery, ManageGroupsUseCase,
        ManageCollectorLabelsUseCase, ExplainEffectiveQuery, CheckCapabilitiesQuery,
        CompleteEffectiveRevisionsUseCase {

    private static final System.Logger LOG = System.getLogger(LayerChangeService.class.getName());
    /** How many collectors one completing transaction locks. */
    static final int COMPLETE_BATCH = 1000;

    private final LayerStorePort store;
    private final LoadLayersPort load;
    private final LayerComposer composer;
    /** Makes a decommissioned collector's tokens stop working at once on this instance (see ActivePrincipals). */
    private final Consumer<CollectorId> forgetActive;
    private final Announcer announced;
    private final Clock clock;
    private final RecordLayerChangeTimingPort timings;

    LayerChangeService(LayerStorePort store, LoadLayersPort load, LayerComposer composer,
                       Consumer<CollectorId> forgetActive, Announcer announced, Clock clock) {
        this(store, load, composer, forgetActive, announced, clock, t -> { });
    }

    LayerChangeService(LayerStorePort store, LoadLayersPort load, LayerComposer composer,
                       Consumer<CollectorId> forgetActive, Announcer announced, Clock clock,
                       RecordLayerChangeTimingPort timings) {
        this.timings = timings;
        this.store = store;
        this.load = load;
        this.composer = composer;
        this.forgetActive = forgetActive;
        this.announced = announced;
        this.clock = clock;
    }

    // ---- layers

    @Override
    public LayerPublishResult publish(LayerId layer, ConfigDocument document, Precondition precondition, Actor actor,
                                      String message, CapabilityMode mode) {
        LayerPublish request = new LayerPublish(layer, document, precondition, actor, message, new RevisionSource.Put(),
                clock.instant());
        return publish(request, Optional.empty(), mode);
    }

    @Override
    public LayerPublishResult rollback(LayerId layer, ConfigVersion toVersion, Precondition precondition, Actor actor,
                                       String message, CapabilityMode mode) {
        Optional<LayerRevision> target = load.loadLayerVersion(layer, toVersion);
        if (target.isEmpty()) {
            return missingGroup(layer).orElse(new LayerPublishResult.UnknownVersion(layer, toVersion));
        }
        LayerPublish request = new LayerPublish(layer, target.get().document(), precondition, actor, message,
                new RevisionSource.Rollback(toVersion), clock.instant());
        return publish(request, Optional.of(toVersion), mode);
    }

    private Optional<LayerPublishResult> missingGroup(LayerId layer) {
        return layer instanceof LayerId.Group g && load.loadGroup(g.id()).isEmpty()
                ? Optional.of(new LayerPublishResult.GroupNotFound(g.id()))
                : Optional.empty();
    }

    private LayerPublishResult publish(LayerPublish request, Optional<ConfigVersion> rollbackOf, CapabilityMode mode) {
        Timing timing = new Timing(System.nanoTime());
        try (Registered registered = new Registered()) {
            return publish(request, rollbackOf, mode, timing, registered);
        }
    }

    private LayerPublishResult publish(LayerPublish request, Optional<ConfigVersion> rollbackOf, CapabilityMode mode,
                                       Timing timing, Registered registered) {
        Object result = store.transact(tx -> {
            tx.lockLayers();
            LayerComposer.World world = LayerComposer.World.read(tx);
            Optional<StagedLayer> staged = world.staging(request.layer());
            if (staged.isPresent()) {
                // The rollout decides this layer's next version: promote or abort it first.
                return Outcome.<Object>rollback(new LayerPublishResult.UnderRollout(request.layer(), staged.get().rollout()));
            }
            Optional<Group> group = Optional.empty();
            if (request.layer() instanceof LayerId.Group g) {
                group = world.groups().stream().filter(x -> x.id().equals(g.id())).findFirst();
                if (group.isEmpty()) {
                    return Outcome.<Object>rollback(new LayerPublishResult.GroupNotFound(g.id()));
                }
            }
            // The shared layers were read under the layers lock a statement ago: no need to read it again.
            Optional<LayerRevision> latest = request.layer() instanceof LayerId.Own
                    ? tx.latestLayer(request.layer()) : world.current(request.layer());
            LayerRevision next;
            switch (request.decide(latest)) {
                case LayerPublish.Decision.Conflict c -> {
                    return Outcome.rollback(new LayerPublishResult.VersionConflict(c.current()));
                }
                case LayerPublish.Decision.Same s -> {
                    return Outcome.rollback(new LayerPublishResult.Unchanged(s.latest()));
                }
                case LayerPublish.Decision.Next n -> next = n.revision();
            }
            // The layer by itself first: its errors carry line and column in its own document.
            if (ConfigValidator.validateNew(request.document().text(), composer.parse(request.document()))
                    instanceof Validation.Invalid inv) {
                return Outcome.rollback(new LayerPublishResult.Invalid(next.layer().source(next.version().value()),
                        inv.errors(), inv.total()));
            }
            long locking = System.nanoTime();
            List<CollectorId> members = tx.lockMemberIds(List.of(group.map(Group::selector)
                    .orElse(new LabelSelector(Map.of()))));
            timing.locked = System.nanoTime() - locking;
            LayerComposer.Session session = composer.session();
            timing.session = session;
            timing.members = members.size();
            long recomputing = System.nanoTime();
            LayerComposer.Recomputed recomputed = session.recompute(members, tx::readMembers, world.withLayer(next),
                    request.at(), LayerComposer.Capabilities.of(tx, mode));
            timing.recomputed = System.nanoTime() - recomputing;
            switch (recomputed) {
                case LayerComposer.Refused r -> {
                    return Outcome.rollback(new LayerPublishResult.MembersInvalid(r.members(), r.total()));
                }
                case LayerComposer.Lacking l -> {
                    return Outcome.rollback(new LayerPublishResult.LacksCapabilities(l.refusal()));
                }
                case LayerComposer.Ok ok -> {
                    long saving = System.nanoTime();
                    tx.insertLayer(next);
                    tx.audit(forced(layerAudit(next, request.actor(), rollbackOf), ok));
                    saveAll(tx, ok);
                    registered.expect(ok.saves());
                    timing.saved = System.nanoTime() - saving;
                    return Outcome.commit(new Published(new LayerPublishResult.Published(next, ok.saves().size()), ok.saves()));
                }
            }
        });
        if (result instanceof Published p) {
            registered.committed();
            timing.log(p.result().revision().layer().source(p.result().revision().version().value()), p.saves().size())
                    .ifPresent(t -> {
                        try {
                            timings.recordLayerChange(t);
                        } catch (RuntimeException e) {
                            // A metric must never fail a committed change.
                            LOG.log(System.Logger.Level.WARNING, "could not record a layer change's timing: " + e);
                        }
                    });
            // This instance's readers see the change at once (read your writes); others when the NOTIFY arrives.
            p.saves().forEach(announced);
            return p.result();
        }
        return (LayerPublishResult) result;
    }

    /**
     * The revisions a change registered before its commit ({@link Announcer#expect}): told of the
     * commit as soon as the transaction returns, closed when the change is over, committed or not.
     * A transaction run again registers its last attempt's revisions.
     */
    private final class Registered implements AutoCloseable {
        private Announcer.Committing committing = Announcer.Committing.NONE;

        void expect(List<LayerComposer.Save> saves) {
            committing.close();
            committing = saves.isEmpty() ? Announcer.Committing.NONE : announced.expect(saves);
        }

        void committed() {
            committing.committed();
        }

        @Override
        public void close() {
            committing.close();
        }
    }

    /**
     * Where a committed layer publish spent its time, logged in one line so that an operator (and
     * the layers benchmark) can tell a slow database from a slow merge: locking the members, reading
     * them, merging and validating, storing the new revisions (the statements of full batches), and
     * the whole transaction up to its commit (the last batch, the notifications and the commit).
     */
    private static final class Timing {
        private final long start;
        private long locked;
        private long recomputed;
        private long saved;
        private int members;
        private LayerComposer.Session session;

        Timing(long start) {
            this.start = start;
        }

        Optional<RecordLayerChangeTimingPort.Timing> log(String layer, int saves) {
            if (session == null) {
                return Optional.empty();
            }
            long total = System.nanoTime() - start;
            long checked = Math.max(0, recomputed - session.readNanos() - session.mergeNanos());
            // Every committed publish is recorded; only one that reached collectors is worth a log line.
            LOG.log(members == 0 ? System.Logger.Level.DEBUG : System.Logger.Level.INFO, () -> String.format("layer change: %s reached %d members (%d distinct"
                            + " layer stacks), %d effective revisions stored; members locked in %d ms, read in %d ms,"
                            + " merged in %d ms (with capability checks %d ms), stored in %d ms, committed after %d ms",
                    layer, members, session.distinctStacks(), saves, locked / 1_000_000, session.readMillis(),
                    session.mergeMillis(), (recomputed / 1_000_000) - session.readMillis(), saved / 1_000_000,
                    total / 1_000_000));
            return Optional.of(new RecordLayerChangeTimingPort.Timing(members, session.distinctStacks(),
                    java.time.Duration.ofNanos(locked), java.time.Duration.ofNanos(session.readNanos()),
                    java.time.Duration.ofNanos(session.mergeNanos()), java.time.Duration.ofNanos(checked),
                    java.time.Duration.ofNanos(saved), java.time.Duration.ofNanos(total)));
        }
    }

    /** A committed publish and the effective revisions it stored. */
    private record Published(LayerPublishResult.Published result, List<LayerComposer.Save> saves) {
    }

    private static AuditEntry layerAudit(LayerRevision r, Actor actor, Optional<ConfigVersion> rollbackOf) {
        String detail = r.layer().source(r.version().value())
                + rollbackOf.map(v -> " rollback to version " + v.value()).orElse("")
                + (r.message().isEmpty() ? "" : ": " + r.message());
        return new AuditEntry(r.createdAt(), actor, rollbackOf.isPresent() ? AuditAction.LAYER_ROLLED_BACK
                : AuditAction.LAYER_PUBLISHED, new AuditSubject.OfServer(), r.version().value(), detail);
    }

    /**
     * The audit entry of a change, saying when it was accepted although members lack capabilities
     * (published with force): whoever reads the trail sees who overrode the check, and for whom.
     */
    static AuditEntry forced(AuditEntry entry, LayerComposer.Ok ok) {
        List<String> lacking = ok.gaps().entrySet().stream().filter(e -> !e.getValue().isEmpty())
                .map(e -> e.getKey().value()).toList();
        if (lacking.isEmpty()) {
            return entry;
        }
        String named = String.join(", ", lacking.subList(0, Math.min(lacking.size(), 10)))
                + (lacking.size() > 10 ? " …" : "");
        return new AuditEntry(entry.at(), entry.actor(), entry.action(), entry.subject(), entry.version(),
                entry.detail() + " [forced: " + lacking.size() + (lacking.size() == 1 ? " collector lacks" : " collectors lack")
                        + " capabilities: " + named + "]");
    }

    /** Stores the new effective revisions and what their members lack (clearing the marks of those lacking nothing). */
    static void saveAll(LayerStorePort.Transaction tx, LayerComposer.Ok ok) {
        ok.saves().forEach(s -> tx.saveEffective(s.revision(), s.announce()));
        if (!ok.gaps().isEmpty()) {
            tx.saveCapabilityGaps(ok.gaps());
        }
    }

    // ---- capabilities

    @Override
    public CheckCapabilitiesQuery.Verdict check(LayerId layer, ConfigDocument document) {
        // As the publish will judge it: a document it would refuse is not checked for capabilities.
        if (ConfigValidator.validateNew(document.text(), composer.parse(document)) instanceof Validation.Invalid inv) {
            return new CheckCapabilitiesQuery.Verdict.NotCheckable("the document is invalid: " + inv.errors().get(0));
        }
        Instant now = clock.instant();
        // Read-only: the transaction is always rolled back.
        return store.transact(tx -> {
            LayerComposer.World world = LayerComposer.World.read(tx);
            Optional<Group> group = Optional.empty();
            if (layer instanceof LayerId.Group g) {
                group = world.group(g.id());
                if (group.isEmpty()) {
                    return Outcome.<CheckCapabilitiesQuery.Verdict>rollback(
                            new CheckCapabilitiesQuery.Verdict.NotCheckable("group/" + g.id() + " does not exist"));
                }
            }
            Optional<LayerRevision> latest = tx.latestLayer(layer);
            LayerRevision candidate = new LayerRevision(layer, latest.map(r -> r.version().next())
                    .orElse(ConfigVersion.first()), document, document.hash(), now, "capability-check", "",
                    new RevisionSource.Put());
            List<CollectorId> members = tx.lockMemberIds(List.of(group.map(Group::selector)
                    .orElse(new LabelSelector(Map.of()))));
            return Outcome.rollback(switch (composer.session().recompute(members, tx::readMembers,
                    world.withLayer(candidate), now,
                    LayerComposer.Capabilities.of(tx, CapabilityMode.CHECK))) {
                case LayerComposer.Refused r -> new CheckCapabilitiesQuery.Verdict.NotCheckable(r.total()
                        + (r.total() == 1 ? " member" : " members") + " would get an invalid configuration");
                case LayerComposer.Lacking l -> new CheckCapabilitiesQuery.Verdict.Lacks(l.refusal());
                case LayerComposer.Ok ok -> new CheckCapabilitiesQuery.Verdict.Fits(ok.unknown(), ok.unknownTotal());
            });
        });
    }

    // ---- reads

    @Override
    public Optional<LayerRevision> latest(LayerId layer) {
        return load.loadLatestLayer(layer);
    }

    @Override
    public Optional<LayerRevision> version(LayerId layer, ConfigVersion version) {
        return load.loadLayerVersion(layer, version);
    }

    @Override
    public List<LayerRevision> history(LayerId layer, int beforeVersion, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_PAGE);
        }
        return load.loadLayerHistory(layer, beforeVersion, limit);
    }

    @Override
    public List<Group> groups() {
        return load.loadGroups();
    }

    @Override
    public Optional<Group> group(GroupId id) {
        return load.loadGroup(id);
    }

    @Override
    public Optional<Instant> groupDeletedAt(GroupId id) {
        return load.loadGroupDeletedAt(id);
    }

    @Override
    public Optional<List<CollectorId>> members(GroupId id, String after, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_PAGE);
        }
        return load.loadGroup(id).map(g -> load.loadMembers(g.selector(), after, limit));
    }

    @Override
    public ExplainResult explain(CollectorId id) {
        // "Nothing live has the id": only then is the decommission time read, in the same transaction.
        return store.transact(tx -> Outcome.rollback(tx.lockMember(id)
                .<ExplainResult>map(m -> new ExplainResult.Explained(
                        new Explanation(composer.readSession().compose(m, LayerComposer.World.read(tx)), m.effective())))
                .orElseGet(() -> tx.decommissionedAt(id)
                        .<ExplainResult>map(at -> new ExplainResult.Decommissioned(id, at))
                        .orElseGet(() -> new ExplainResult.CollectorNotFound(id)))));
    }

    // ---- groups

    @Override
    public LayerChangeResult create(Group group, Actor actor) {
        Group.checkNewDescription(group.description());
        LabelSelector.checkNew(group.selector());
        Instant now = clock.instant();
        return store.transact(tx -> {
            tx.lockLayers();
            if (tx.groupIdTaken(group.id())) {
                return Outcome.rollback(new LayerChangeResult.AlreadyExists());
            }
            // Counted under the exclusive layers lock: two creations at once cannot both take the last place.
            if (tx.groups().size() >= Group.MAX_GROUPS) {
                return Outcome.rollback(new LayerChangeResult.TooManyGroups(Group.MAX_GROUPS));
            }
            // A new group has no layer yet: no collector's effective document changes.
            tx.saveGroup(group, now);
            tx.audit(new AuditEntry(now, actor, AuditAction.GROUP_CREATED, new AuditSubject.OfServer(), 0,
                    "group/" + group.id() + " selector " + group.selector() + " priority " + group.priority()));
            return Outcome.commit(new LayerChangeResult.Done(0));
        });
    }

    @Override
    public LayerChangeResult update(GroupId id, Optional<LabelSelector> selector, OptionalInt priority,
                                    Optional<String> description, Actor actor, CapabilityMode mode) {
        // Only a description being set: one stored by an earlier release stays when it is not changed.
        description.ifPresent(Group::checkNewDescription);
        Instant now = clock.instant();
        return changeGroup(id, mode, (tx, world, old) -> {
            // Likewise a selector's labels: one stored that today's label rule refuses stays until it is
            // changed, so the stored selector sent back with a new priority is not refused for it.
            selector.ifPresent(s -> LabelSelector.checkNew(s, old.selector()));
            Group updated = new Group(id, selector.orElse(old.selector()),
                    priority.orElse(old.priority()), description.orElse(old.description()));
            if (updated.equals(old)) {
                // What the group already is: no change to audit, store or announce (a script that
                // sets its groups every run would otherwise fill the audit trail with nothing).
                return Optional.of(new Unchanged());
            }
            Optional<StagedLayer> staged = world.staging(new LayerId.Group(id));
            if (staged.isPresent() && (!updated.selector().equals(old.selector())
                    || updated.priority() != old.priority())) {
                // Who is a member, and whose values win, is what the rollout's waves were planned
                // and are judged on: a wave member moved out of the layer would otherwise count as
                // having applied a version it never received. A new description changes neither.
                return Optional.of(new Busy(staged.get().rollout()));
            }
            tx.saveGroup(updated, now);
            tx.audit(new AuditEntry(now, actor, AuditAction.GROUP_UPDATED, new AuditSubject.OfServer(), 0,
                    "group/" + id + " selector " + updated.selector() + " priority " + updated.priority()));
            boolean hasLayer = world.groupLayers().containsKey(id) || world.staging(new LayerId.Group(id)).isPresent();
            return Optional.of(Affected.locked(hasLayer
                    ? tx.lockMemberIds(List.of(old.selector(), updated.selector())) : List.of(),
                    world.withGroup(updated), now));
        });
    }

    @Override
    public LayerChangeResult delete(GroupId id, Actor actor) {
        Instant now = clock.instant();
        // Deleting a group is never refused for capabilities: members that then lack something are marked.
        return changeGroup(id, CapabilityMode.FORCE, (tx, world, old) -> {
            Optional<StagedLayer> staged = world.staging(new LayerId.Group(id));
            if (staged.isPresent()) {
                return Optional.of(new Busy(staged.get().rollout()));
            }
            tx.deleteGroup(id, now);
            tx.audit(new AuditEntry(now, actor, AuditAction.GROUP_DELETED, new AuditSubject.OfServer(), 0,
                    "group/" + id));
            return Optional.of(Affected.locked(world.groupLayers().containsKey(id)
                    ? tx.lockMemberIds(List.of(old.selector())) : List.of(), world.withoutGroup(id), now));
        });
    }

    // ---- labels and decommissioning

    @Override
    public LayerChangeResult changeLabels(CollectorId id, Map<String, String> labels, Actor actor, CapabilityMode mode) {
        Instant now = clock.instant();
        // One collector's change: the shared layers lock (no group or layer changes meanwhile) and its row lock.
        // Checked under that lock against what it carries: a decommissioned collector's answer comes first,
        // whatever the labels would be, so nobody fixes labels that can never be set.
        return change(mode, false, tx -> tx.lockMember(id).<Work>map(m -> {
            // What a collector's labels may be: the rule registration and provisioning apply too, to the
            // labels this change sets or alters; one an earlier release stored and sent back as it is stays.
            Collector.checkNewLabels(labels, m.labels());
            if (m.labels().equals(labels)) {
                // The labels it already carries, read under its row lock: nothing to audit or store.
                return new Unchanged();
            }
            tx.saveLabels(id, labels);
            tx.audit(new AuditEntry(now, actor, AuditAction.COLLECTOR_LABELS_CHANGED, new AuditSubject.OfCollector(id), 0,
                    // Written as a selector is, without being one: a collector stored with more labels than a
                    // selector may hold can still shed some.
                    "labels " + String.join(",", new java.util.TreeMap<>(labels).entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue()).toList())));
            return Affected.one(m.withLabels(labels), LayerComposer.World.read(tx), now);
        }).or(() -> tx.decommissionedAt(id).map(at -> new Gone(id, at))).or(() -> {
            // An id never known: labels no collector could carry are refused as for any other.
            Collector.checkNewLabels(labels);
            return Optional.empty();
        }));
    }

    @Override
    public LayerChangeResult decommission(CollectorId id, Actor actor) {
        Instant now = clock.instant();
        LayerChangeResult result = store.transact(tx -> {
            if (tx.lockMember(id).isEmpty()) {
                // Already decommissioned (nothing changes again), or never a collector's id.
                return Outcome.rollback(tx.decommissionedAt(id)
                        .<LayerChangeResult>map(at -> new LayerChangeResult.Decommissioned(id, at))
                        .orElseGet(LayerChangeResult.NotFound::new));
            }
            tx.decommission(id, now);
            tx.audit(new AuditEntry(now, actor, AuditAction.COLLECTOR_DECOMMISSIONED, new AuditSubject.OfCollector(id), 0,
                    "decommissioned"));
            return Outcome.commit(new LayerChangeResult.Done(0));
        });
        if (result instanceof LayerChangeResult.Done) {
            // Its refresh tokens were revoked with it; a token this instance cached as active stops
            // working now rather than when the cache entry runs out.
            forgetActive.accept(id);
        }
        return result;
    }

    /**
     * Brings a collector's effective document up to date with the layers (a newly provisioned or
     * registered collector gets the fleet's and its groups' values at once).
     *
     * @param id the collector
     */
    void refresh(CollectorId id) {
        Instant now = clock.instant();
        // A collector arriving is never refused for capabilities: what it lacks is marked.
        change(CapabilityMode.FORCE, false,
                tx -> tx.lockMember(id).map(m -> (Work) Affected.one(m, LayerComposer.World.read(tx), now)));
    }

    /**
     * Composes a collector's effective document inside the caller's transaction (a registration,
     * which stores the collector, its credentials and this document together or not at all).
     * The caller has taken the layers lock (shared at least) before writing anything.
     *
     * @return the effective revisions to announce once the caller's transaction commits
     */
    List<LayerComposer.Save> arrive(LayerStorePort.Transaction tx, CollectorId id, Instant now) {
        Optional<LayerMember> member = tx.lockMember(id);
        if (member.isEmpty()) {
            return List.of();
        }
        // Never refused for capabilities (what it lacks is marked); a composition invalid under this
        // release's schema leaves it without an effective document, as a refresh would.
        if (Affected.one(member.get(), LayerComposer.World.read(tx), now).recompute(composer.session(), tx,
                LayerComposer.Capabilities.of(tx, CapabilityMode.FORCE)) instanceof LayerComposer.Ok ok) {
            saveAll(tx, ok);
            return ok.saves();
        }
        return List.of();
    }

    /** Tells this instance's readers of effective revisions a committed transaction stored. */
    void announce(List<LayerComposer.Save> saves) {
        saves.forEach(announced);
    }

    @Override
    public int completeEffectiveRevisions() {
        int completed = 0;
        String after = "";
        while (true) {
            String from = after;
            Instant now = clock.instant();
            Completed batch = store.transact(tx -> {
                // Completing brings single collectors up to date, like an arrival: the layers lock in shared
                // mode keeps layer changes out while the layers are read, and the members' row locks order it
                // with other changes of them. Exclusive, it queued behind the registrations another instance
                // was serving, and every registration after it queued behind it: a restarting instance
                // stalled the whole tier.
                tx.lockLayersShared();
                List<LayerMember> members = tx.lockIncomplete(from, COMPLETE_BATCH);
                if (members.isEmpty()) {
                    return Outcome.rollback(new Completed(List.of(), Optional.empty()));
                }
                LayerComposer.World world = LayerComposer.World.read(tx);
                LayerComposer.Session session = composer.session();
                List<LayerComposer.Save> saves = new java.util.ArrayList<>();
                if (session.recompute(members, world, now) instanceof LayerComposer.Ok ok) {
                    saves.addAll(ok.saves());
                } else {
                    // Some members' layers give an invalid configuration: complete the others one by one.
                    for (LayerMember m : members) {
                        switch (session.recompute(List.of(m), world, now)) {
                            case LayerComposer.Ok ok -> saves.addAll(ok.saves());
                            case LayerComposer.Refused r -> LOG.log(System.Logger.Level.WARNING, "the effective"
                                    + " configuration of " + m.id() + " is invalid under this release's schema: "
                                    + r.members().get(0).errors().get(0));
                        }
                    }
                }
                saves.forEach(s -> tx.saveEffective(s.revision(), s.announce()));
                return Outcome.commit(new Completed(saves, Optional.of(members.get(members.size() - 1).id().value())));
            });
            batch.saves().forEach(announced);
            completed += batch.saves().size();
            if (batch.last().isEmpty()) {
                return completed;
            }
            after = batch.last().get();
        }
    }

    /** One completing transaction: what it stored, and the last collector it looked at (empty: none left). */
    private record Completed(List<LayerComposer.Save> saves, Optional<String> last) {
    }

    /**
     * The members a change affects and the layers as the change leaves them: one collector as
     * the change sees it, or many locked by id and read a page at a time.
     */
    private record Affected(Optional<LayerMember> one, List<CollectorId> locked, LayerComposer.World world, Instant at)
            implements Work {
        static Affected one(LayerMember member, LayerComposer.World world, Instant at) {
            return new Affected(Optional.of(member), List.of(), world, at);
        }

        static Affected locked(List<CollectorId> ids, LayerComposer.World world, Instant at) {
            return new Affected(Optional.empty(), ids, world, at);
        }

        LayerComposer.Recomputed recompute(LayerComposer.Session session, LayerStorePort.Transaction tx,
                                           LayerComposer.Capabilities capabilities) {
            return one.isPresent() ? session.recompute(List.of(one.get()), world, at, capabilities)
                    : session.recompute(locked, tx::readMembers, world, at, capabilities);
        }
    }

    /** What a change found to do. */
    private sealed interface Work permits Affected, Busy, Gone, Unchanged {
    }

    /** The change asks for what is already there: done, with nothing stored, audited or announced. */
    private record Unchanged() implements Work {
    }

    /** The collector the change is about was decommissioned: nothing changes. */
    private record Gone(CollectorId id, Instant at) implements Work {
    }

    /** The layer the change would touch is under a rollout: nothing changes. */
    private record Busy(long rollout) implements Work {
    }

    /** Runs a change under the layers lock: not found, refused (nothing stored), or stored with its effective revisions. */
    /** A change to one existing group, given the group as it is. */
    private interface GroupChange {
        Optional<Work> apply(LayerStorePort.Transaction tx, LayerComposer.World world, Group group);
    }

    /** Runs a change to one group; a group that does not exist changes nothing. */
    private LayerChangeResult changeGroup(GroupId id, CapabilityMode mode, GroupChange work) {
        return change(mode, true, tx -> {
            LayerComposer.World world = LayerComposer.World.read(tx);
            return world.group(id).flatMap(group -> work.apply(tx, world, group));
        });
    }

    /**
     * Runs a change under the layers lock: exclusive for a change that may affect many collectors
     * (a group's), shared for one collector's change.
     *
     * <p>Why shared is enough for one collector: every layer or group change holds the lock
     * exclusively from before it reads the layers and locks its members until it commits, so a
     * one-collector change either runs wholly before it (the layer change, taking its member row
     * locks with a statement that starts after the shared lock is released, sees the collector as
     * committed, a newly registered one included, and recomputes it) or wholly after it (its reads,
     * each a new READ COMMITTED snapshot taken after the lock was granted, see the committed layers).
     * Two one-collector changes of the same collector serialise on its row lock; of different
     * collectors they touch disjoint rows. Every lock is taken layers-lock first, then rows in id
     * order, so the shared mode adds no deadlock.
     */
    private LayerChangeResult change(CapabilityMode mode, boolean exclusive,
                                     java.util.function.Function<LayerStorePort.Transaction, Optional<Work>> work) {
        try (Registered registered = new Registered()) {
            return change(mode, exclusive, work, registered);
        }
    }

    private LayerChangeResult change(CapabilityMode mode, boolean exclusive,
                                     java.util.function.Function<LayerStorePort.Transaction, Optional<Work>> work,
                                     Registered registered) {
        Object result = store.transact(tx -> {
            if (exclusive) {
                tx.lockLayers();
            } else {
                tx.lockLayersShared();
            }
            Optional<Work> found = work.apply(tx);
            if (found.isEmpty()) {
                return Outcome.rollback(new LayerChangeResult.NotFound());
            }
            if (found.get() instanceof Busy b) {
                return Outcome.rollback(new LayerChangeResult.UnderRollout(b.rollout()));
            }
            if (found.get() instanceof Gone g) {
                return Outcome.rollback(new LayerChangeResult.Decommissioned(g.id(), g.at()));
            }
            if (found.get() instanceof Unchanged) {
                return Outcome.rollback(new LayerChangeResult.Done(0));
            }
            Affected affected = (Affected) found.get();
            switch (affected.recompute(composer.session(), tx, LayerComposer.Capabilities.of(tx, mode))) {
                case LayerComposer.Refused r -> {
                    return Outcome.rollback(new LayerChangeResult.MembersInvalid(r.members(), r.total()));
                }
                case LayerComposer.Lacking l -> {
                    return Outcome.rollback(new LayerChangeResult.LacksCapabilities(l.refusal()));
                }
                case LayerComposer.Ok ok -> {
                    saveAll(tx, ok);
                    registered.expect(ok.saves());
                    return Outcome.<Object>commit(ok);
                }
            }
        });
        if (result instanceof LayerComposer.Ok ok) {
            registered.committed();
            ok.saves().forEach(announced);
            return new LayerChangeResult.Done(ok.saves().size());
        }
        return (LayerChangeResult) result;
    }
}
