package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ExplainEffectiveQuery;
import io.pgfleet.application.port.in.ExplainEffectiveQuery.ExplainResult;
import io.pgfleet.application.port.in.ManageCollectorLabelsUseCase;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.in.RevokeCollectorUseCase;
import io.pgfleet.application.port.in.RevokeCollectorUseCase.RevokeResult;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.LayerChangeResult;

import java.util.Map;
import java.util.Objects;

/**
 * Tells a decommissioned collector's id from one no collector ever had, for the use cases whose
 * stores answer both alike ("nothing live has the id": the row locks and updates they rely on skip
 * a decommissioned collector). A decommissioned id answers "gone for good", an unknown one "not
 * found"; the use cases' results say which, so that no adapter asks a query of its own.
 *
 * <p>Only a refusal for a missing collector pays for it: one indexed read of the collector's
 * decommission time, after the use case has answered, never when it went through.
 */
final class DecommissionedIds {

    private final LoadCollectorPort collectors;

    DecommissionedIds(LoadCollectorPort collectors) {
        this.collectors = Objects.requireNonNull(collectors, "collectors");
    }

    /** Publishing, with {@link PublishResult.Decommissioned} told apart. */
    PublishConfigUseCase publish(PublishConfigUseCase publish) {
        return command -> told(publish.publish(command));
    }

    /** Rolling back, with {@link PublishResult.Decommissioned} told apart. */
    RollbackConfigUseCase rollback(RollbackConfigUseCase rollback) {
        return command -> told(rollback.rollback(command));
    }

    /** Revoking, with {@link RevokeResult.Decommissioned} told apart. */
    RevokeCollectorUseCase revoke(RevokeCollectorUseCase revoke) {
        return (id, actor) -> switch (revoke.revokeCollector(id, actor)) {
            case RevokeResult.CollectorNotFound nf -> collectors.loadDecommissionedAt(nf.collectorId())
                    .<RevokeResult>map(at -> new RevokeResult.Decommissioned(nf.collectorId(), at))
                    .orElse(nf);
            case RevokeResult other -> other;
        };
    }

    /** Explaining, with {@link ExplainResult.Decommissioned} told apart. */
    ExplainEffectiveQuery explain(ExplainEffectiveQuery explain) {
        return id -> switch (explain.explain(id)) {
            case ExplainResult.CollectorNotFound nf -> collectors.loadDecommissionedAt(nf.collectorId())
                    .<ExplainResult>map(at -> new ExplainResult.Decommissioned(nf.collectorId(), at))
                    .orElse(nf);
            case ExplainResult other -> other;
        };
    }

    /** Changing labels and decommissioning, with {@link LayerChangeResult.Decommissioned} told apart. */
    ManageCollectorLabelsUseCase labels(ManageCollectorLabelsUseCase labels) {
        return new Labels(labels);
    }

    private final class Labels implements ManageCollectorLabelsUseCase {

        private final ManageCollectorLabelsUseCase labels;

        private Labels(ManageCollectorLabelsUseCase labels) {
            this.labels = labels;
        }

        @Override
        public LayerChangeResult changeLabels(CollectorId id, Map<String, String> given, Actor actor,
                                              CapabilityMode mode) {
            return told(id, labels.changeLabels(id, given, actor, mode));
        }

        @Override
        public LayerChangeResult decommission(CollectorId id, Actor actor) {
            return told(id, labels.decommission(id, actor));
        }
    }

    private PublishResult told(PublishResult result) {
        if (result instanceof PublishResult.CollectorNotFound nf) {
            return collectors.loadDecommissionedAt(nf.collectorId())
                    .<PublishResult>map(at -> new PublishResult.Decommissioned(nf.collectorId(), at))
                    .orElse(nf);
        }
        return result;
    }

    private LayerChangeResult told(CollectorId id, LayerChangeResult result) {
        if (result instanceof LayerChangeResult.NotFound) {
            return collectors.loadDecommissionedAt(id)
                    .<LayerChangeResult>map(at -> new LayerChangeResult.Decommissioned(id, at))
                    .orElse(result);
        }
        return result;
    }
}
