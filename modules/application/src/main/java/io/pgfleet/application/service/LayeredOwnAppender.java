package io.pgfleet.application.service;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LayerStorePort.Outcome;
import io.pgfleet.application.port.out.StorageUnavailableException;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.LayerError;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.schema.ValidationError;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Publishes to a collector's own layer together with its new effective revision, in one
 * transaction that holds the collector's row: the merged document is validated first, and a
 * publish that would make it invalid is refused with the errors of every layer involved.
 *
 * <p>Publishes to one collector that arrive while another is being stored share the next
 * transaction (and its one commit, its one flush to disk): each is decided in arrival order
 * against what the ones before it left (version after version, {@code If-Match} against the
 * version before it), stored with its own audit entry, and answered only once that transaction
 * has committed. A refused publish in such a batch writes nothing and does not stop the others.
 */
final class LayeredOwnAppender implements OwnLayerAppender {

    /**
     * How many waiting publishes of one collector share a transaction at most: enough that a hot
     * collector is not limited to one commit per publish, few enough that one transaction stays short.
     */
    static final int MAX_BATCH = 64;

    private final LayerStorePort store;
    private final LayerComposer composer;
    private final Consumer<LayerComposer.Save> announced;
    /**
     * Publishes to one collector take turns here before they open a transaction: they would take
     * turns on the collector's row lock anyway, and waiting there each would hold a pooled database
     * connection, so that a burst on one hot collector starved every other request of connections
     * (and timed out with 503). Striped: a fixed number of turns, whatever the number of collectors.
     * Whoever takes a turn stores every publish of its collector waiting in the stripe's queue.
     * Other instances still take turns on the row lock.
     */
    static final int STRIPES = 1024;
    private final Stripe[] stripes = new Stripe[STRIPES];

    LayeredOwnAppender(LayerStorePort store, LayerComposer composer, Consumer<LayerComposer.Save> announced) {
        this.store = store;
        this.composer = composer;
        this.announced = announced;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    @Override
    public PublishResult append(CollectorId collectorId,
                                BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                                Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode) {
        Pending mine = new Pending(collectorId, decision, audit, mode);
        Stripe stripe = stripes[Math.floorMod(collectorId.hashCode(), STRIPES)];
        stripe.waiting.add(mine);
        while (!mine.done) {
            stripe.turn.lock();
            try {
                if (!mine.done) {
                    runBatch(stripe.next(collectorOfHead(stripe, mine)));
                }
            } finally {
                stripe.turn.unlock();
            }
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
        return mine.result;
    }

    private static CollectorId collectorOfHead(Stripe stripe, Pending mine) {
        Pending head = stripe.waiting.peek();
        return head == null ? mine.collectorId : head.collectorId;
    }

    /** Stores a batch in one transaction; when that fails, each alone, so one failure stays its own. */
    private void runBatch(List<Pending> batch) {
        if (batch.isEmpty()) {
            return;
        }
        Batch stored;
        try {
            stored = transact(batch);
        } catch (Error e) {
            // Taken off the queue, they are nobody's but this thread's: never leave one waiting.
            RuntimeException failed = new IllegalStateException("publishing failed: " + e, e);
            batch.forEach(p -> p.fail(failed));
            throw e;
        } catch (RuntimeException e) {
            // A lost database fails everyone alike; anything else may be one publish's own: retry each alone.
            if (batch.size() == 1 || e instanceof StorageUnavailableException) {
                batch.forEach(p -> p.fail(e));
                return;
            }
            for (Pending p : batch) {
                runBatch(List.of(p));
            }
            return;
        }
        // Committed: this instance's cache and watchers learn of the new effective revision at once.
        stored.saves().forEach(announced);
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).complete(stored.results().get(i));
        }
    }

    private Batch transact(List<Pending> batch) {
        CollectorId collectorId = batch.get(0).collectorId;
        return store.transact(tx -> {
            Optional<LayerMember> locked = tx.lockMember(collectorId);
            if (locked.isEmpty()) {
                return Outcome.rollback(new Batch(
                        batch.stream().<PublishResult>map(p -> new PublishResult.CollectorNotFound(collectorId)).toList(),
                        List.of()));
            }
            LayerComposer.World world = LayerComposer.World.read(tx);
            // The batch's members are one collector: its agent's facts are read once.
            Map<List<CollectorId>, Map<CollectorId, io.pgfleet.domain.capability.MemberFacts>> facts = new HashMap<>();
            Function<List<CollectorId>, Map<CollectorId, io.pgfleet.domain.capability.MemberFacts>> factsOnce =
                    ids -> facts.computeIfAbsent(List.copyOf(ids), tx::memberFacts);
            List<PublishResult> results = new ArrayList<>(batch.size());
            LayerMember member = locked.get();
            boolean anyPublished = false;
            Optional<EffectiveRevision> stored = Optional.empty();
            boolean announce = false;
            Map<CollectorId, List<io.pgfleet.domain.fleet.CapabilityGap>> gaps = Map.of();
            for (Pending p : batch) {
                PublishResult decided = p.decision.apply(member.own(), member.effective().map(EffectiveRevision::entityTag));
                if (!(decided instanceof PublishResult.Published published)) {
                    results.add(decided);
                    continue;
                }
                ConfigRevision revision = published.revision();
                switch (composer.session().recompute(List.of(member.withOwn(revision)), world,
                        revision.createdAt(), new LayerComposer.Capabilities(p.mode, factsOnce))) {
                    case LayerComposer.Lacking l -> results.add(new PublishResult.LacksCapabilities(l.refusal()));
                    case LayerComposer.Refused r -> {
                        // The own document is valid alone (checked before); the merge with other layers is not.
                        List<ValidationError> errors = r.members().get(0).errors().stream()
                                .map(LayeredOwnAppender::named).toList();
                        results.add(new PublishResult.Invalid(errors));
                    }
                    case LayerComposer.Ok ok -> {
                        tx.insertOwn(revision);
                        tx.audit(LayerChangeService.forced(p.audit.apply(revision), ok));
                        // The next publish of the batch decides from what this one leaves (its If-Match
                        // may name the effective revision it read).
                        Optional<EffectiveRevision> effective = member.effective();
                        for (LayerComposer.Save save : ok.saves()) {
                            effective = Optional.of(save.revision());
                            stored = effective;
                            announce |= save.announce();
                        }
                        if (!ok.gaps().isEmpty()) {
                            gaps = ok.gaps();
                        }
                        member = new LayerMember(member.id(), member.labels(), Optional.of(revision), effective);
                        anyPublished = true;
                        results.add(decided);
                    }
                }
            }
            if (!anyPublished) {
                return Outcome.rollback(new Batch(results, List.of()));
            }
            // Every publish counts one effective revision, as if each had been stored alone; the row
            // holds the current one, so only the batch's last is written (the ones before it were
            // never visible), announced when any publish of the batch gave the collector a new number.
            List<LayerComposer.Save> saves = List.of();
            if (stored.isPresent()) {
                tx.saveEffective(stored.get(), announce);
                saves = List.of(new LayerComposer.Save(stored.get(), announce));
            }
            if (!gaps.isEmpty()) {
                tx.saveCapabilityGaps(gaps);
            }
            return Outcome.commit(new Batch(results, saves));
        });
    }

    private static ValidationError named(LayerError e) {
        return new ValidationError(e.error().line(), e.error().column(), e.error().key(),
                "in " + e.layer() + ": " + e.error().message());
    }

    /** Each publish's outcome, in order, and the effective revision the batch stored, if any. */
    private record Batch(List<PublishResult> results, List<LayerComposer.Save> saves) {
    }

    /** A publish waiting for its turn, then its outcome. */
    private static final class Pending {
        final CollectorId collectorId;
        final BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision;
        final Function<ConfigRevision, AuditEntry> audit;
        final CapabilityMode mode;
        // Written by whoever stores the batch before it releases the stripe's turn; read after taking it.
        volatile boolean done;
        PublishResult result;
        RuntimeException failure;

        Pending(CollectorId collectorId, BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode) {
            this.collectorId = collectorId;
            this.decision = decision;
            this.audit = audit;
            this.mode = mode;
        }

        void complete(PublishResult value) {
            result = value;
            done = true;
        }

        void fail(RuntimeException e) {
            failure = e;
            done = true;
        }
    }

    /** A turn and the publishes waiting for it. */
    private static final class Stripe {
        final ReentrantLock turn = new ReentrantLock();
        final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();

        /** Takes the waiting publishes of one collector, oldest first, at most {@link #MAX_BATCH}. */
        List<Pending> next(CollectorId collectorId) {
            List<Pending> batch = new ArrayList<>();
            for (Iterator<Pending> it = waiting.iterator(); it.hasNext() && batch.size() < MAX_BATCH; ) {
                Pending p = it.next();
                if (p.collectorId.equals(collectorId)) {
                    it.remove();
                    batch.add(p);
                }
            }
            return batch;
        }
    }
}
