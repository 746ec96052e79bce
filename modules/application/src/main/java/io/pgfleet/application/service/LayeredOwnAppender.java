package io.pgfleet.application.service;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LayerStorePort.Outcome;
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

import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Publishes to a collector's own layer together with its new effective revision, in one
 * transaction that holds the collector's row: the merged document is validated first, and a
 * publish that would make it invalid is refused with the errors of every layer involved.
 */
final class LayeredOwnAppender implements OwnLayerAppender {

    private final LayerStorePort store;
    private final LayerComposer composer;
    private final Consumer<LayerComposer.Save> announced;
    /**
     * Publishes to one collector take turns here before they open a transaction: they would take
     * turns on the collector's row lock anyway, and waiting there each would hold a pooled database
     * connection, so that a burst on one hot collector starved every other request of connections
     * (and timed out with 503). Striped: a fixed number of locks, whatever the number of collectors.
     * Other instances still take turns on the row lock.
     */
    static final int STRIPES = 1024;
    private final ReentrantLock[] turns = new ReentrantLock[STRIPES];

    LayeredOwnAppender(LayerStorePort store, LayerComposer composer, Consumer<LayerComposer.Save> announced) {
        this.store = store;
        this.composer = composer;
        this.announced = announced;
        for (int i = 0; i < STRIPES; i++) {
            turns[i] = new ReentrantLock();
        }
    }

    @Override
    public PublishResult append(CollectorId collectorId,
                                BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                                Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode) {
        ReentrantLock turn = turns[Math.floorMod(collectorId.hashCode(), STRIPES)];
        turn.lock();
        Object result;
        try {
            result = transact(collectorId, decision, audit, mode);
        } finally {
            turn.unlock();
        }
        if (result instanceof Stored s) {
            s.saves().forEach(announced);
            return s.result();
        }
        return (PublishResult) result;
    }

    private Object transact(CollectorId collectorId,
                            BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                            Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode) {
        return store.transact(tx -> {
            Optional<LayerMember> member = tx.lockMember(collectorId);
            if (member.isEmpty()) {
                return Outcome.<Object>rollback(new PublishResult.CollectorNotFound(collectorId));
            }
            PublishResult decided = decision.apply(member.get().own(), member.get().effective().map(EffectiveRevision::entityTag));
            if (!(decided instanceof PublishResult.Published published)) {
                return Outcome.rollback(decided);
            }
            ConfigRevision revision = published.revision();
            switch (composer.session().recompute(List.of(member.get().withOwn(revision)), LayerComposer.World.read(tx),
                    revision.createdAt(), LayerComposer.Capabilities.of(tx, mode))) {
                case LayerComposer.Lacking l -> {
                    return Outcome.rollback(new PublishResult.LacksCapabilities(l.refusal()));
                }
                case LayerComposer.Refused r -> {
                    // The own document is valid alone (checked before); the merge with other layers is not.
                    List<ValidationError> errors = r.members().get(0).errors().stream().map(LayeredOwnAppender::named).toList();
                    return Outcome.rollback(new PublishResult.Invalid(errors));
                }
                case LayerComposer.Ok ok -> {
                    tx.insertOwn(revision);
                    tx.audit(LayerChangeService.forced(audit.apply(revision), ok));
                    LayerChangeService.saveAll(tx, ok);
                    return Outcome.commit(ok.saves().isEmpty() ? decided : new Stored(published, ok.saves()));
                }
            }
        });
    }

    private static ValidationError named(LayerError e) {
        return new ValidationError(e.error().line(), e.error().column(), e.error().key(),
                "in " + e.layer() + ": " + e.error().message());
    }

    private record Stored(PublishResult.Published result, List<LayerComposer.Save> saves) {
    }
}
