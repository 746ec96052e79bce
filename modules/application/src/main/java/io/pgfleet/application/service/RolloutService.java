package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ControlRolloutUseCase;
import io.pgfleet.application.port.in.DriveRolloutsUseCase;
import io.pgfleet.application.port.in.RolloutQuery;
import io.pgfleet.application.port.in.StartRolloutUseCase;
import io.pgfleet.application.port.out.LayerStorePort.Outcome;
import io.pgfleet.application.port.out.LoadRolloutsPort;
import io.pgfleet.application.port.out.RolloutLeasePort;
import io.pgfleet.application.port.out.RolloutStorePort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerError;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.MemberErrors;
import io.pgfleet.domain.layer.StagedLayer;
import io.pgfleet.domain.rollout.Candidate;
import io.pgfleet.domain.rollout.Ending;
import io.pgfleet.domain.rollout.MemberFailure;
import io.pgfleet.domain.rollout.MemberObservation;
import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutId;
import io.pgfleet.domain.rollout.RolloutState;
import io.pgfleet.domain.rollout.Step;
import io.pgfleet.domain.rollout.TimelineEvent;
import io.pgfleet.domain.rollout.WaveCounts;
import io.pgfleet.domain.rollout.WavePlan;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.Validation;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Staged rollouts: starting one, operators' commands, the driver's rounds and the views. Every
 * step runs in one transaction under the layers lock, with the rollout's row locked, together with
 * the layer version and effective revisions it changes, so a step happens exactly once and whole.
 */
final class RolloutService implements StartRolloutUseCase, ControlRolloutUseCase, RolloutQuery, DriveRolloutsUseCase {

    private final RolloutStorePort store;
    private final LoadRolloutsPort load;
    private final RolloutLeasePort lease;
    private final LayerComposer composer;
    private final Consumer<LayerComposer.Save> announced;
    private final RolloutSettings settings;
    private final Clock clock;

    RolloutService(RolloutStorePort store, LoadRolloutsPort load, RolloutLeasePort lease, LayerComposer composer,
                   Consumer<LayerComposer.Save> announced, RolloutSettings settings, Clock clock) {
        this.store = store;
        this.load = load;
        this.lease = lease;
        this.composer = composer;
        this.announced = announced;
        this.settings = settings;
        this.clock = clock;
    }

    /** Why the first start on a restored database pauses a running rollout. */
    static final String RESTORED = "the database was restored from a backup: the wave's deadline and bake count from"
            + " before the restore, and the apply reports its members sent since the backup are gone; resume it once"
            + " they have reported again (the fleet view no longer says status_from_backup), or abort it";

    /** A committed step and the effective revisions it stored. */
    private record Applied(Rollout rollout, List<LayerComposer.Save> saves) {
    }

    private Object finish(Object result) {
        if (result instanceof Applied a) {
            // This instance's readers see the change at once; others when the NOTIFY arrives.
            a.saves().forEach(announced);
        }
        return result;
    }

    // ---- start

    @Override
    public StartResult start(StartRolloutCommand command) {
        LayerId layer = command.layer();
        Object result = finish(store.transact(tx -> {
            tx.lockLayers();
            Instant now = lockedNow();
            LayerComposer.World world = LayerComposer.World.read(tx);
            Optional<LabelSelector> selector = selector(world, layer);
            if (selector.isEmpty()) {
                return Outcome.<Object>rollback(new StartResult.GroupNotFound(((LayerId.Group) layer).id()));
            }
            Optional<StagedLayer> busy = world.staging(layer);
            if (busy.isPresent()) {
                return Outcome.rollback(new StartResult.LayerBusy(busy.get().rollout()));
            }
            Optional<LayerRevision> current = tx.latestLayer(layer);
            if (current.isPresent() && current.get().hash().equals(command.document().hash())) {
                return Outcome.rollback(new StartResult.Unchanged());
            }
            ConfigVersion version = current.map(r -> r.version().next()).orElse(ConfigVersion.first());
            if (ConfigValidator.validateNew(command.document().text(), composer.parse(command.document()))
                    instanceof Validation.Invalid inv) {
                return Outcome.rollback(new StartResult.Invalid(layer.source(version.value()), inv.errors(), inv.total()));
            }
            RolloutId id = tx.nextRolloutId();
            LayerRevision staged = new LayerRevision(layer, version, command.document(), command.document().hash(), now,
                    command.actor().name(), command.message(), new RevisionSource.Staged(id.value()));
            List<LayerMember> members = tx.lockMembers(List.of(selector.get()));
            LayerComposer.Session session = composer.session();
            // Validated like any publish: every member's effective document as if the version were
            // current, and checked against what each member's agent reported it can run.
            LayerComposer.Ok checked;
            switch (session.recompute(members, world.withLayer(staged), now,
                    LayerComposer.Capabilities.of(tx, command.mode()))) {
                case LayerComposer.Refused r -> {
                    return Outcome.rollback(new StartResult.MembersInvalid(r.members(), r.total()));
                }
                case LayerComposer.Lacking l -> {
                    return Outcome.rollback(new StartResult.LacksCapabilities(l.refusal()));
                }
                case LayerComposer.Ok ok -> checked = ok;
            }
            if (!checked.gaps().isEmpty()) {
                // Forced: the members that lack something are marked in the fleet view, as for a publish.
                tx.saveCapabilityGaps(checked.gaps());
            }
            Set<CollectorId> stale = tx.stale(members.stream().map(LayerMember::id).toList());
            List<Candidate> candidates = members.stream()
                    .map(m -> new Candidate(m.id(), m.labels(), stale.contains(m.id()))).toList();
            List<io.pgfleet.domain.rollout.PlannedWave> plan = WavePlan.plan(command.policy().waves(), candidates);
            // A wave without a member that is not stale passes at once: a canary selector with a typo, or
            // a first wave while every member is stale (after an outage, say), would send the version
            // to everyone untested. Not even force starts it: a plain PUT is how to publish untested.
            Optional<WavePlan.UntestedWave> untested = WavePlan.untested(command.policy().waves(), plan);
            if (untested.isPresent()) {
                return Outcome.rollback(new StartResult.EmptyWave(untested.get()));
            }
            Step.StartWave first = Rollout.start(id, layer, version, current.map(LayerRevision::version),
                    command.policy(), plan, now, command.actor().name(), command.message());
            Rollout rollout = first.next();
            tx.insertStaged(staged);
            // Shown as its driver from the start: the lease holder takes over in the view at once.
            tx.insertRollout(rollout, settings.instance());
            tx.appendTimeline(id, by(first.events(), command.actor().name()));
            tx.audit(new AuditEntry(now, command.actor(), AuditAction.ROLLOUT_STARTED, new AuditSubject.OfServer(),
                    version.value(), "rollout " + id + " of " + layer.source(version.value())
                    + (command.message().isEmpty() ? "" : ": " + command.message())));
            Set<CollectorId> receivers = rollout.receivers();
            switch (session.recompute(only(members, receivers), world.withStaging(new StagedLayer(staged, receivers,
                    id.value())), now)) {
                case LayerComposer.Refused r -> {
                    return Outcome.rollback(new StartResult.MembersInvalid(r.members(), r.total()));
                }
                case LayerComposer.Ok ok -> {
                    ok.saves().forEach(s -> tx.saveEffective(s.revision(), s.announce()));
                    return Outcome.commit(new Applied(rollout, ok.saves()));
                }
            }
        }));
        if (result instanceof Applied a) {
            return new StartResult.Started(a.rollout());
        }
        return (StartResult) result;
    }

    private static List<TimelineEvent> by(List<TimelineEvent> events, String who) {
        return events.stream().map(e -> e.by(who)).toList();
    }

    private static List<LayerMember> only(List<LayerMember> members, Set<CollectorId> ids) {
        return members.stream().filter(m -> ids.contains(m.id())).toList();
    }

    /** The selector of the layer's members: everyone for the fleet, the group's for a group (empty when it is gone). */
    private static Optional<LabelSelector> selector(LayerComposer.World world, LayerId layer) {
        if (layer instanceof LayerId.Group g) {
            return world.group(g.id()).map(Group::selector);
        }
        return Optional.of(new LabelSelector(Map.of()));
    }

    // ---- operators' commands

    @Override
    public ControlResult control(RolloutId id, Command command, Actor actor) {
        Object result = finish(store.transact(tx -> {
            tx.lockLayers();
            Optional<Rollout> found = tx.lockRollout(id);
            if (found.isEmpty()) {
                return Outcome.<Object>rollback(new ControlResult.NotFound());
            }
            Instant now = lockedNow();
            Rollout r = found.get();
            Map<CollectorId, MemberObservation> seen = tx.observe(r.currentWave());
            // An if chain, not a switch: a switch on another class's enum compiles to a synthetic, non-final class.
            Step step;
            if (command == Command.PAUSE) {
                step = r.pause(now, actor.name());
            } else if (command == Command.RESUME) {
                step = r.resume(now, actor.name());
            } else if (command == Command.PROMOTE) {
                step = r.promote(now, actor.name(), seen);
            } else {
                step = r.abort(now, actor.name(), seen);
            }
            if (command == Command.RESUME && step instanceof Step.Changed) {
                // Resumed, the rollout would only pause again at its next step: say so now, naming the
                // members whose own layers still do not compose with the staged version.
                Optional<LayerComposer.Refused> blocked = completionRefused(tx, r, now);
                if (blocked.isPresent()) {
                    return Outcome.rollback(new ControlResult.MembersInvalid(r, command, blocked.get().members(),
                            blocked.get().total()));
                }
            }
            return switch (step) {
                case Step.Refused refused -> Outcome.rollback(new ControlResult.Refused(refused.reason()));
                case Step.Wait w -> Outcome.rollback(new ControlResult.Done(r));
                case Step.Transition t -> apply(tx, r, t, actor, "", now);
            };
        }));
        if (result instanceof Applied a) {
            return new ControlResult.Done(a.rollout());
        }
        return (ControlResult) result;
    }

    // ---- the driver

    @Override
    public Round drive() {
        if (!lease.lead(settings.instance(), settings.lease())) {
            return new Round(false, 0);
        }
        int changed = 0;
        for (RolloutId id : load.loadActiveRollouts()) {
            if (driveOne(id)) {
                changed++;
            }
        }
        return new Round(true, changed);
    }

    @Override
    public int holdAfterRestore() {
        Actor driver = new Actor("rollout-driver", settings.instance());
        int held = 0;
        for (RolloutId id : load.loadActiveRollouts()) {
            Object result = finish(store.transact(tx -> {
                tx.lockLayers();
                Optional<Rollout> found = tx.lockRollout(id);
                if (found.isEmpty()) {
                    return Outcome.<Object>rollback(false);
                }
                Instant now = lockedNow();
                return switch (found.get().hold(now, RESTORED)) {
                    case Step.Transition t -> apply(tx, found.get(), t, driver, settings.instance(), now);
                    case Step.Wait w -> Outcome.rollback(false);
                    case Step.Refused refused -> Outcome.rollback(false);
                };
            }));
            if (result instanceof Applied) {
                held++;
            }
        }
        return held;
    }

    @Override
    public void stepDown() {
        lease.release(settings.instance());
    }

    private boolean driveOne(RolloutId id) {
        // Judged first without locks: most rounds wait, and they must not queue behind layer changes.
        Optional<Rollout> seen = load.loadRollout(id);
        if (seen.isEmpty() || seen.get().state() != RolloutState.RUNNING
                || seen.get().evaluate(clock.instant(), load.observe(seen.get().currentWave())) instanceof Step.Wait) {
            return false;
        }
        Actor driver = new Actor("rollout-driver", settings.instance());
        Object result = finish(store.transact(tx -> {
            tx.lockLayers();
            Optional<Rollout> found = tx.lockRollout(id);
            if (found.isEmpty()) {
                return Outcome.<Object>rollback(false);
            }
            Rollout r = found.get();
            Instant now = lockedNow();
            return switch (r.evaluate(now, tx.observe(r.currentWave()))) {
                case Step.Transition t -> apply(tx, r, t, driver, settings.instance(), now);
                case Step.Wait w -> Outcome.rollback(false);
                case Step.Refused refused -> Outcome.rollback(false);
            };
        }));
        return result instanceof Applied;
    }

    /**
     * The time a step happens at, read once it holds its locks. A step may queue for the layers lock
     * behind a large layer change (or a step of an instance that froze): dated from before the wait, a
     * wave it starts would be delivered seconds later than its recorded start, and its members would
     * lose the wait from their {@code apply_deadline_seconds}, or find it past at once.
     */
    private Instant lockedNow() {
        return clock.instant();
    }

    // ---- carrying out a step

    private Outcome<Object> apply(RolloutStorePort.Transaction tx, Rollout before, Step.Transition step, Actor actor,
                                  String driver, Instant now) {
        LayerComposer.World world = LayerComposer.World.read(tx);
        LayerId layer = before.layer();
        Optional<StagedLayer> staging = world.staging(layer);
        if (staging.isEmpty()) {
            throw new IllegalStateException("rollout " + before.id() + " is active but " + layer.label() + " is not staged");
        }
        LayerRevision staged = staging.get().staged();
        List<LayerMember> members = selector(world, layer).map(s -> tx.lockMembers(List.of(s))).orElse(List.of());
        String who = driver.isEmpty() ? actor.name() : "rollout-driver@" + driver;
        switch (step) {
            case Step.Changed c -> {
                tx.updateRollout(c.next(), driver);
                tx.appendTimeline(before.id(), by(c.events(), who));
                tx.audit(new AuditEntry(now, actor, c.next().state() == RolloutState.PAUSED ? AuditAction.ROLLOUT_PAUSED
                        : AuditAction.ROLLOUT_RESUMED, new AuditSubject.OfServer(), 0, "rollout " + before.id() + ": "
                        + c.events().get(0).detail()));
                return Outcome.commit(new Applied(c.next(), List.of()));
            }
            case Step.StartWave s -> {
                Set<CollectorId> receivers = s.next().receivers();
                Set<CollectorId> wave = new HashSet<>(s.next().currentWave());
                switch (composer.session().recompute(only(members, wave),
                        world.withStaging(new StagedLayer(staged, receivers, before.id().value())), now)) {
                    case LayerComposer.Refused r -> {
                        return apply(tx, before, held(before, now, "wave " + s.next().startedWaves(), r), actor,
                                driver, now);
                    }
                    case LayerComposer.Ok ok -> {
                        tx.updateRollout(s.next(), driver);
                        tx.appendTimeline(before.id(), by(s.events(), who));
                        tx.audit(new AuditEntry(now, actor, AuditAction.ROLLOUT_WAVE_STARTED, new AuditSubject.OfServer(),
                                staged.version().value(), "rollout " + before.id() + " wave " + s.next().startedWaves()
                                + " of " + s.next().waves().size()));
                        ok.saves().forEach(x -> tx.saveEffective(x.revision(), x.announce()));
                        return Outcome.commit(new Applied(s.next(), ok.saves()));
                    }
                }
            }
            case Step.Complete c -> {
                switch (composer.session().recompute(members, world.withoutStaging(layer).withLayer(staged), now)) {
                    case LayerComposer.Refused r -> {
                        if (driver.isEmpty()) {
                            // An operator's promote (the only command that completes): refused, nothing
                            // changes, so that the own layers can be fixed and the promote made again.
                            return Outcome.rollback(new ControlResult.MembersInvalid(before, Command.PROMOTE,
                                    r.members(), r.total()));
                        }
                        return apply(tx, before, held(before, now, "completing", r), actor, driver, now);
                    }
                    case LayerComposer.Ok ok -> {
                        tx.updateRollout(c.next(), driver);
                        tx.makeCurrent(layer, staged.version());
                        tx.appendTimeline(before.id(), by(c.events(), who));
                        tx.audit(new AuditEntry(now, actor, AuditAction.ROLLOUT_COMPLETED, new AuditSubject.OfServer(),
                                staged.version().value(), "rollout " + before.id() + ": " + layer.source(
                                staged.version().value()) + " is current: " + c.next().ending().orElseThrow().reason()));
                        ok.saves().forEach(x -> tx.saveEffective(x.revision(), x.announce()));
                        return Outcome.commit(new Applied(c.next(), ok.saves()));
                    }
                }
            }
            case Step.RollBack b -> {
                String reason = b.next().ending().orElseThrow().reason();
                ConfigDocument previous = before.previousVersion().flatMap(v -> tx.layerVersion(layer, v))
                        .map(LayerRevision::document)
                        .orElse(new ConfigDocument("# " + layer.label() + " had no version before rollout "
                                + before.id() + "\n"));
                String message = "rollout " + before.id() + " rolled back: " + reason;
                if (io.pgfleet.domain.common.ShownText.characters(message) > PublishRequest.MAX_MESSAGE_LENGTH) {
                    message = message.substring(0, PublishRequest.MAX_MESSAGE_LENGTH);
                }
                LayerRevision back = new LayerRevision(layer, staged.version().next(), previous, previous.hash(), now,
                        actor.name(), message, new RevisionSource.RolloutRollback(before.id().value()));
                LayerComposer.World after = world.withoutStaging(layer).withLayer(back);
                List<LayerComposer.Save> saves = new ArrayList<>();
                List<MemberFailure> stranded = new ArrayList<>();
                int strandedTotal = 0;
                LayerComposer.Session session = composer.session();
                for (LayerMember m : members) {
                    // One by one: a member that cannot go back (its own layer changed meanwhile) must not
                    // keep every other member on the staged version. It keeps its effective revision whole
                    // (document and sources, which describe each other), and the rollout names it.
                    switch (session.recompute(List.of(m), after, now)) {
                        case LayerComposer.Ok ok -> saves.addAll(ok.saves());
                        case LayerComposer.Refused r -> {
                            strandedTotal++;
                            if (stranded.size() < Ending.MAX_LISTED) {
                                stranded.add(notRolledBack(m, r, staging.get(), back));
                            }
                        }
                    }
                }
                Step.RollBack done = b.notRolledBack(stranded, strandedTotal);
                tx.updateRollout(done.next(), driver);
                tx.insertLayer(back);
                tx.appendTimeline(before.id(), by(done.events(), who));
                tx.audit(new AuditEntry(now, actor, AuditAction.ROLLOUT_ROLLED_BACK, new AuditSubject.OfServer(),
                        back.version().value(), "rollout " + before.id() + ": " + reason + "; "
                        + layer.source(back.version().value()) + " published"
                        + (strandedTotal == 0 ? "" : "; " + Step.RollBack.notRolledBackNote(stranded, strandedTotal))));
                saves.forEach(x -> tx.saveEffective(x.revision(), x.announce()));
                return Outcome.commit(new Applied(done.next(), saves));
            }
        }
    }

    /**
     * Why a member cannot be given its previous effective document back, and what it keeps: its
     * layers (its own layer, as a rule, published over the staged version) do not compose with the
     * version published again.
     */
    static MemberFailure notRolledBack(LayerMember m, LayerComposer.Refused refused, StagedLayer staging,
                                       LayerRevision back) {
        LayerError first = refused.members().get(0).errors().get(0);
        String own = m.own().map(o -> new LayerId.Own(m.id()).source(o.version().value())).orElse("");
        String what = !own.isEmpty() && first.layer().equals(own)
                ? "its own layer (" + own + ") does not compose with " + back.layer().source(back.version().value())
                + ": " + first.error().message()
                : "its layers do not compose with " + back.layer().source(back.version().value()) + ": "
                + first.layer() + ": " + first.error().message();
        String keeps = m.effective().map(e -> "effective revision " + e.revision().value() + " ("
                + String.join(", ", e.sources()) + ")").orElse("no effective document");
        String runs = staging.receivers().contains(m.id())
                ? "it still runs " + staging.staged().layer().source(staging.staged().version().value())
                + ", the staged version: it keeps " + keeps
                : "it keeps " + keeps;
        return new MemberFailure(m.id(), what + "; " + runs);
    }

    /**
     * A step of the driver's that would make members invalid (their own layers changed during the
     * rollout and do not compose with the staged version) pauses the rollout instead: nobody is
     * there to refuse it to, and rolling back would take the version from every member that runs
     * it well because of one host's own document. The timeline and the audit name the members.
     */
    private static Step.Changed held(Rollout before, Instant now, String what, LayerComposer.Refused r) {
        String named = r.members().stream().limit(NAMED_IN_TIMELINE)
                .map((MemberErrors m) -> m.collectorId() + " (" + m.errors().get(0).layer() + ": "
                        + m.errors().get(0).error() + ")")
                .reduce((a, b) -> a + ", " + b).orElse("");
        // The driver steps only a running rollout (evaluate waits otherwise), which can always be held.
        return (Step.Changed) before.hold(now, what + " would make " + r.total()
                + (r.total() == 1 ? " member's configuration" : " members' configurations") + " invalid: " + named
                + (r.total() > NAMED_IN_TIMELINE ? " …" : "")
                + "; fix their own layers, then resume the rollout (or abort it)");
    }

    /** How many members a held rollout's timeline entry names. */
    private static final int NAMED_IN_TIMELINE = 5;

    /**
     * Whether completing the rollout now would make members invalid: every member composed with the
     * staged version as the layer's current one.
     */
    private Optional<LayerComposer.Refused> completionRefused(RolloutStorePort.Transaction tx, Rollout r, Instant now) {
        LayerComposer.World world = LayerComposer.World.read(tx);
        Optional<StagedLayer> staging = world.staging(r.layer());
        if (staging.isEmpty()) {
            return Optional.empty();
        }
        List<LayerMember> members = selector(world, r.layer()).map(s -> tx.lockMembers(List.of(s))).orElse(List.of());
        if (composer.session().recompute(members, world.withoutStaging(r.layer()).withLayer(staging.get().staged()), now)
                instanceof LayerComposer.Refused refused) {
            return Optional.of(refused);
        }
        return Optional.empty();
    }

    // ---- views

    @Override
    public Page list(Optional<RolloutState> state, long before, int limit) {
        if (limit < 1 || limit > MAX_LIST) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_LIST);
        }
        // One more than the page: whether another page follows, without a count over every rollout.
        List<Rollout> found = load.loadRollouts(state, before, limit + 1);
        return new Page(found.subList(0, Math.min(limit, found.size())), found.size() > limit);
    }

    @Override
    public Optional<RolloutView> get(RolloutId id) {
        return load.loadRollout(id).map(r -> {
            Instant now = clock.instant();
            Map<CollectorId, MemberObservation> seen = r.state().active() ? load.observe(r.currentWave()) : Map.of();
            List<WaveCounts> counts = new ArrayList<>();
            for (int i = 0; i < r.waves().size(); i++) {
                counts.add(r.counts(i, seen, now));
            }
            return new RolloutView(r, counts, load.loadTimeline(id, MAX_TIMELINE), load.loadDriver(id));
        });
    }
}
