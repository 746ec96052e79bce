package io.pgfleet.application.service;

import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.PublishResult;

import java.time.Instant;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Appends a version to a collector's own layer, race-free, deciding from the own layer's latest
 * version and the collector's current effective tag (an editor may have started from either). A
 * decommissioned collector's id is answered {@link PublishResult.Decommissioned}, an id no collector
 * ever had {@link PublishResult.CollectorNotFound}.
 */
interface OwnLayerAppender {

    /**
     * Holds the collector exclusively, decides, and stores a published version with its audit entry
     * (and, with layers, the collector's new effective revision).
     *
     * @param collectorId the collector
     * @param decision    decides from the own latest version and the current effective tag
     * @param audit       the audit entry of a published version
     * @param mode        refuse or mark a collector whose host lacks what the new document needs
     * @return the outcome
     */
    PublishResult append(CollectorId collectorId,
                         BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                         Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode);

    /**
     * As {@link #append(CollectorId, BiFunction, Function, CapabilityMode)}, with the new document
     * already parsed (to validate it): the merge uses that parse instead of parsing it again.
     *
     * @param collectorId the collector
     * @param decision    decides from the own latest version and the current effective tag
     * @param audit       the audit entry of a published version
     * @param mode        refuse or mark a collector whose host lacks what the new document needs
     * @param parsed      the document to publish and its parse
     * @return the outcome
     */
    default PublishResult append(CollectorId collectorId,
                                 BiFunction<Optional<ConfigRevision>, Optional<EntityTag>, PublishResult> decision,
                                 Function<ConfigRevision, AuditEntry> audit, CapabilityMode mode, ParsedDocument parsed) {
        return append(collectorId, decision, audit, mode);
    }

    /**
     * When a collector was decommissioned, for a publish refused before the collector is held (an
     * invalid document, a rollback's missing or invalid version): a decommissioned id is answered as
     * gone for good whatever the request carries. {@link #append} tells it apart itself when it finds
     * no collector to hold.
     *
     * @param collectorId the collector
     * @return when, or empty when no collector ever had the id or it is not decommissioned
     */
    Optional<Instant> decommissionedAt(CollectorId collectorId);

    /**
     * An appender over a plain revision store, without layers. Such a store has no decommissioned
     * collectors: decommissioning is a change of the layer store ({@code LayerStorePort}).
     *
     * @param port the store
     * @return the appender
     */
    static OwnLayerAppender of(AppendConfigRevisionPort port) {
        return new PlainOwnAppender(port);
    }
}
