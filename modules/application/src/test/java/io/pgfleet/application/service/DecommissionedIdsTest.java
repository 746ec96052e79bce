package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.port.in.ExplainEffectiveQuery.ExplainResult;
import io.pgfleet.application.port.in.ManageCollectorLabelsUseCase;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.RevokeCollectorUseCase.RevokeResult;
import io.pgfleet.application.port.in.RollbackConfigCommand;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.LayerChangeResult;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The per-collector use cases say "decommissioned (at T)" themselves, as a case beside "not found",
 * and pay for it on that path only.
 */
class DecommissionedIdsTest {

    private static final CollectorId GONE = CollectorId.of("gone-1");
    private static final CollectorId NEVER = CollectorId.of("never-1");
    private static final Instant AT = Given.T0.plusSeconds(60);

    /** Knows one decommissioned collector and counts the reads of decommission times. */
    private static final class Collectors implements LoadCollectorPort {
        int reads;

        @Override
        public Optional<Collector> loadCollector(CollectorId collectorId) {
            throw new AssertionError("not read");
        }

        @Override
        public Optional<Instant> loadDecommissionedAt(CollectorId collectorId) {
            reads++;
            return collectorId.equals(GONE) ? Optional.of(AT) : Optional.empty();
        }
    }

    private final Collectors collectors = new Collectors();
    private final DecommissionedIds ids = new DecommissionedIds(collectors);

    @Test
    void aPublishOrRollbackRefusedForAMissingCollectorSaysWhetherItWasDecommissioned() {
        var publish = ids.publish(c -> new PublishResult.CollectorNotFound(c.collectorId()));
        assertEquals(new PublishResult.Decommissioned(GONE, AT), publish.publish(publishTo(GONE)));
        assertEquals(new PublishResult.CollectorNotFound(NEVER), publish.publish(publishTo(NEVER)));

        var rollback = ids.rollback(c -> new PublishResult.CollectorNotFound(c.collectorId()));
        assertEquals(new PublishResult.Decommissioned(GONE, AT), rollback.rollback(rollbackOf(GONE)));
        assertEquals(new PublishResult.CollectorNotFound(NEVER), rollback.rollback(rollbackOf(NEVER)));
        assertEquals(4, collectors.reads);
    }

    @Test
    void aRevocationExplanationOrLabelChangeOfAMissingCollectorSaysWhetherItWasDecommissioned() {
        var revoke = ids.revoke((id, actor) -> new RevokeResult.CollectorNotFound(id));
        assertEquals(new RevokeResult.Decommissioned(GONE, AT), revoke.revokeCollector(GONE, Given.alice()));
        assertEquals(new RevokeResult.CollectorNotFound(NEVER), revoke.revokeCollector(NEVER, Given.alice()));

        var explain = ids.explain(ExplainResult.CollectorNotFound::new);
        assertEquals(new ExplainResult.Decommissioned(GONE, AT), explain.explain(GONE));
        assertEquals(new ExplainResult.CollectorNotFound(NEVER), explain.explain(NEVER));

        var labels = ids.labels(answering(new LayerChangeResult.NotFound()));
        assertEquals(new LayerChangeResult.Decommissioned(GONE, AT), labels.changeLabels(GONE, Map.of(), Given.alice()));
        assertEquals(new LayerChangeResult.Decommissioned(GONE, AT), labels.decommission(GONE, Given.alice()));
        assertEquals(new LayerChangeResult.NotFound(), labels.decommission(NEVER, Given.alice()));
    }

    @Test
    void whatGoesThroughOrIsRefusedForAnotherReasonCostsNoRead() {
        var conflict = new PublishResult.VersionConflict(Optional.empty());
        assertEquals(conflict, ids.publish(c -> conflict).publish(publishTo(GONE)));
        assertEquals(conflict, ids.rollback(c -> conflict).rollback(rollbackOf(GONE)));
        assertEquals(new RevokeResult.Revoked(),
                ids.revoke((id, actor) -> new RevokeResult.Revoked()).revokeCollector(GONE, Given.alice()));
        var labels = ids.labels(answering(new LayerChangeResult.Done(1)));
        assertEquals(new LayerChangeResult.Done(1), labels.changeLabels(GONE, Map.of(), Given.alice()));
        assertEquals(new LayerChangeResult.Done(1), labels.decommission(GONE, Given.alice()));
        assertEquals(0, collectors.reads);
    }

    private static PublishConfigCommand publishTo(CollectorId id) {
        return new PublishConfigCommand(id, Given.document(10), new Precondition.None(), Given.alice(), "");
    }

    private static RollbackConfigCommand rollbackOf(CollectorId id) {
        return new RollbackConfigCommand(id, new ConfigVersion(1), new Precondition.None(), Given.alice(), "");
    }

    private static ManageCollectorLabelsUseCase answering(LayerChangeResult result) {
        return new ManageCollectorLabelsUseCase() {
            @Override
            public LayerChangeResult changeLabels(CollectorId id, Map<String, String> labels, Actor actor,
                                                  CapabilityMode mode) {
                return result;
            }

            @Override
            public LayerChangeResult decommission(CollectorId id, Actor actor) {
                return result;
            }
        };
    }
}
