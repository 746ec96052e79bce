package io.pgfleet.application.service;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LayerStorePort.Outcome;
import io.pgfleet.application.port.out.StorageUnavailableException;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.capability.MemberFacts;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.LayerError;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.OwnLayer;
import io.pgfleet.domain.schema.ValidationError;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Publishes to a collector's own layer together with its new effective revision, in one
 * transaction that holds the collector's row: the merged document is validated first, and a
 * publish that would make it invalid is refused with the errors of every layer involved.
 *
 * <p>Group commit: publishes that arrive while transactions are being stored share the next
 * transaction (and its one commit, its one flush to disk), whatever their collectors. Each is
 * decided in arrival order against what the ones before it left for its collector (version after
 * version, {@code If-Match} against the version before it), stored with its own audit entry, and
 * answered only once that transaction has committed. A refused publish in such a batch writes
 * nothing and does not stop the others: every decision is made before anything is written, and
 * should the batch's writes fail all the same, each publish is stored again alone.
 */
final class LayeredOwnAppender implements OwnLayerAppender {

    /**
     * How many waiting publishes share a transaction at most: enough that a busy server is not limited
     * to one commit per publish, few enough that one transaction stays short.
     */
    static final int MAX_BATCH = 64;

    /**
     * How many publish transactions this instance runs at once. Publishes wait in memory rather than
     * on row locks: waiting there, each would hold a pooled database connection, so that a burst on
     * one hot collector starved every other request of connections (and timed out with 503). Two,
     * so that one batch's commit waiting for the disk (or for a row lock a layer change holds) does
     * not stop the next batch from being decided. A collector is in one of them at most; other
     * instances still take turns on its row lock.
     */
    static final int MAX_IN_FLIGHT = 2;

    private final LayerStorePort store;
    private final LayerComposer composer;
    private final Consumer<LayerComposer.Save> announced;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition finished = lock.newCondition();
    // Guarded by lock: publishes not yet taken (arrival order), collectors of running batches, how many run.
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final Set<CollectorId> inFlight = new HashSet<>();
    private int running;

    LayeredOwnAppender(LayerStorePort store, LayerComposer composer, Consumer<LayerComposer.Save> announced) {
        this.store = store;
        this.composer = composer;
        this.announced = announced;
    }

    @Override
    public PublishResult append(CollectorId collectorId,
                                BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                                Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode) {
        return append(new Pending(collectorId, decision, audit, mode, Optional.empty()));
    }

    @Override
    public PublishResult append(CollectorId collectorId,
                                BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                                Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode, ParsedDocument parsed) {
        return append(new Pending(collectorId, decision, audit, mode, Optional.of(parsed)));
    }

    private PublishResult append(Pending mine) {
        lock.lock();
        try {
            waiting.add(mine);
        } finally {
            lock.unlock();
        }
        while (true) {
            List<Pending> batch;
            lock.lock();
            try {
                if (mine.done) {
                    break;
                }
                batch = running < MAX_IN_FLIGHT ? take() : List.of();
                if (batch.isEmpty()) {
                    // Every slot is busy, or this collector's publishes are being stored: wait for a batch to end.
                    finished.awaitUninterruptibly();
                    continue;
                }
                running++;
            } finally {
                lock.unlock();
            }
            // Whoever finds a free slot stores every publish waiting (its own among them, or it is
            // already in a running batch), then looks again.
            try {
                runBatch(batch);
            } finally {
                lock.lock();
                try {
                    running--;
                    batch.forEach(p -> inFlight.remove(p.collectorId));
                    finished.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
        return mine.result;
    }

    /**
     * Takes the waiting publishes, oldest first, at most {@link #MAX_BATCH}, leaving those of collectors
     * a running batch holds (their order among themselves is kept); marks their collectors in flight.
     */
    private List<Pending> take() {
        List<Pending> batch = new ArrayList<>();
        for (Iterator<Pending> it = waiting.iterator(); it.hasNext() && batch.size() < MAX_BATCH; ) {
            Pending p = it.next();
            if (!inFlight.contains(p.collectorId)) {
                it.remove();
                batch.add(p);
            }
        }
        batch.forEach(p -> inFlight.add(p.collectorId));
        return batch;
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
        // Committed: this instance's cache and watchers learn of the new effective revisions at once.
        stored.saves().forEach(announced);
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).complete(stored.results().get(i));
        }
    }

    private Batch transact(List<Pending> batch) {
        List<CollectorId> ids = batch.stream().map(p -> p.collectorId).distinct().sorted(BY_ID).toList();
        return store.transact(tx -> {
            // Rows locked in id order (as layer changes lock them), read after locking.
            Map<CollectorId, LayerMember> members = new HashMap<>();
            // Each one's own latest revision in full: a publish decides against it (and answers with it).
            Map<CollectorId, Optional<ConfigRevision>> owns = new HashMap<>();
            tx.lockCollectors(ids).forEach(m -> {
                members.put(m.member().id(), m.member());
                owns.put(m.member().id(), m.ownRevision());
            });
            if (members.isEmpty()) {
                return Outcome.rollback(new Batch(batch.stream().map(p -> missing(tx, p.collectorId)).toList(),
                        List.of()));
            }
            LayerComposer.World world = LayerComposer.World.read(tx);
            // The agents' facts of the batch's collectors are read once, in one statement.
            Map<CollectorId, MemberFacts> allFacts = tx.memberFacts(List.copyOf(members.keySet()));
            Function<List<CollectorId>, Map<CollectorId, MemberFacts>> facts = wanted -> {
                Map<CollectorId, MemberFacts> out = new HashMap<>();
                wanted.forEach(id -> Optional.ofNullable(allFacts.get(id)).ifPresent(f -> out.put(id, f)));
                return out;
            };
            LayerComposer.Session session = composer.session();
            List<PublishResult> results = new ArrayList<>(batch.size());
            // Per collector: the effective revision to store (the last of its publishes), and whether any
            // publish of the batch gave it a new number.
            Map<CollectorId, EffectiveRevision> stored = new LinkedHashMap<>();
            Map<CollectorId, Boolean> announce = new HashMap<>();
            Map<CollectorId, List<CapabilityGap>> gaps = new LinkedHashMap<>();
            // The versions with their audit entries, written together once every publish is decided.
            List<LayerStorePort.OwnVersion> versions = new ArrayList<>(batch.size());
            for (Pending p : batch) {
                LayerMember member = members.get(p.collectorId);
                if (member == null) {
                    results.add(missing(tx, p.collectorId));
                    continue;
                }
                PublishResult decided = p.decision.apply(owns.get(member.id()),
                        member.effective().map(EffectiveRevision::entityTag));
                if (!(decided instanceof PublishResult.Published published)) {
                    results.add(decided);
                    continue;
                }
                ConfigRevision revision = published.revision();
                p.parsed.filter(d -> d.document().equals(revision.document()))
                        .ifPresent(d -> {
                            session.parsedAlready(d.document(), d.outcome());
                            d.validation().ifPresent(v -> session.validatedAlready(d.outcome(), v));
                        });
                switch (session.recompute(List.of(member.withOwn(revision)), world,
                        revision.createdAt(), new LayerComposer.Capabilities(p.mode, facts))) {
                    case LayerComposer.Lacking l -> results.add(new PublishResult.LacksCapabilities(l.refusal()));
                    case LayerComposer.Refused r -> {
                        // The own document is valid alone (checked before); the merge with other layers is not.
                        List<ValidationError> errors = r.members().get(0).errors().stream()
                                .map(LayeredOwnAppender::named).toList();
                        results.add(new PublishResult.Invalid(errors));
                    }
                    case LayerComposer.Ok ok -> {
                        versions.add(new LayerStorePort.OwnVersion(revision,
                                LayerChangeService.forced(p.audit.apply(revision), ok)));
                        // The next publish of the batch to this collector decides from what this one leaves
                        // (its If-Match may name the effective revision it read).
                        Optional<EffectiveRevision> effective = member.effective();
                        for (LayerComposer.Save save : ok.saves()) {
                            effective = Optional.of(save.revision());
                            stored.put(member.id(), save.revision());
                            announce.merge(member.id(), save.announce(), Boolean::logicalOr);
                        }
                        gaps.putAll(ok.gaps());
                        members.put(member.id(), new LayerMember(member.id(), member.labels(),
                                Optional.of(OwnLayer.of(revision)), effective));
                        owns.put(member.id(), Optional.of(revision));
                        results.add(decided);
                    }
                }
            }
            if (versions.isEmpty()) {
                return Outcome.rollback(new Batch(results, List.of()));
            }
            tx.insertOwn(versions);
            // Every publish counts one effective revision, as if each had been stored alone; the row
            // holds the current one, so only each collector's last is written (the ones before it were
            // never visible), announced when any publish of the batch gave the collector a new number.
            List<LayerComposer.Save> saves = new ArrayList<>();
            stored.forEach((id, revision) -> {
                tx.saveEffective(revision, announce.get(id));
                saves.add(new LayerComposer.Save(revision, announce.get(id)));
            });
            if (!gaps.isEmpty()) {
                tx.saveCapabilityGaps(gaps);
            }
            return Outcome.commit(new Batch(results, saves));
        });
    }

    @Override
    public Optional<Instant> decommissionedAt(CollectorId collectorId) {
        return store.transact(tx -> Outcome.rollback(tx.decommissionedAt(collectorId)));
    }

    /**
     * The answer to a publish whose collector was not found to hold: gone for good when it was
     * decommissioned (read on this path only, in the same transaction), else unknown.
     */
    private static PublishResult missing(LayerStorePort.Transaction tx, CollectorId id) {
        return tx.decommissionedAt(id).<PublishResult>map(at -> new PublishResult.Decommissioned(id, at))
                .orElseGet(() -> new PublishResult.CollectorNotFound(id));
    }

    private static final Comparator<CollectorId> BY_ID = Comparator.comparing(CollectorId::value);

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
        final Optional<ParsedDocument> parsed;
        // Written by whoever stores the batch, before it signals the batch's end; read under the same lock.
        volatile boolean done;
        PublishResult result;
        RuntimeException failure;

        Pending(CollectorId collectorId, BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode, Optional<ParsedDocument> parsed) {
            this.collectorId = collectorId;
            this.decision = decision;
            this.audit = audit;
            this.mode = mode;
            this.parsed = parsed;
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
}
