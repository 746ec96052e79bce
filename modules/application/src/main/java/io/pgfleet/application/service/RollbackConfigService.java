package io.pgfleet.application.service;

import io.pgfleet.application.port.in.RollbackConfigCommand;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigHistory;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.schema.Validation;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Publishes an earlier version of a collector's own document again, as a new version. A
 * decommissioned collector's id is answered {@link PublishResult.Decommissioned} whatever the version
 * asked for (missing, invalid under today's schema or not); the refusals that come before the
 * collector is held read its decommission time themselves, the append tells it apart when it finds
 * no collector to hold: never a read when a rollback goes through.
 */
final class RollbackConfigService implements RollbackConfigUseCase {

    private final LoadCollectorPort collectors;
    private final LoadConfigRevisionPort revisions;
    private final OwnLayerAppender append;
    private final DocumentValidator validator;
    private final Clock clock;

    RollbackConfigService(LoadCollectorPort collectors, LoadConfigRevisionPort revisions, AppendConfigRevisionPort append,
                          DocumentValidator validator, Clock clock) {
        this(collectors, revisions, OwnLayerAppender.of(append), validator, clock);
    }

    RollbackConfigService(LoadCollectorPort collectors, LoadConfigRevisionPort revisions, OwnLayerAppender append,
                          DocumentValidator validator, Clock clock) {
        this.collectors = collectors;
        this.revisions = revisions;
        this.append = append;
        this.validator = validator;
        this.clock = clock;
    }

    @Override
    public PublishResult rollback(RollbackConfigCommand command) {
        CollectorId id = command.collectorId();
        Optional<ConfigRevision> target = revisions.loadVersion(id, command.toVersion());
        if (target.isEmpty()) {
            // The one place a missing version is told apart: a decommissioned collector takes no
            // rollback to any version (it answers as gone, not as lacking the version), and an id
            // without a row was never a collector's.
            Optional<Instant> decommissioned = collectors.loadDecommissionedAt(id);
            if (decommissioned.isPresent()) {
                return new PublishResult.Decommissioned(id, decommissioned.get());
            }
            return collectors.loadCollector(id).isEmpty() ? new PublishResult.CollectorNotFound(id)
                    : new PublishResult.UnknownVersion(id, command.toVersion());
        }
        // An old version may predate today's schema; it is held to the same rules as a new document,
        // except that a decommissioned collector's rollback is refused as gone first, whatever the version.
        if (validator.validate(target.get().document()) instanceof Validation.Invalid invalid) {
            return collectors.loadDecommissionedAt(id)
                    .<PublishResult>map(at -> new PublishResult.Decommissioned(id, at))
                    .orElseGet(() -> new PublishResult.Invalid(invalid));
        }
        PublishRequest request = new PublishRequest(command.collectorId(), target.get().document(),
                command.precondition(), command.actor(), command.message(),
                new RevisionSource.Rollback(command.toVersion()), clock.instant());
        return append.append(command.collectorId(), (latest, effectiveTag) ->
                        command.precondition() instanceof Precondition.MatchesOneOf m && m.isMetByTag(effectiveTag)
                                ? ConfigHistory.decide(latest, new PublishRequest(request.collectorId(), request.document(),
                                        new Precondition.None(), request.actor(), request.message(), request.source(),
                                        request.at()))
                                : ConfigHistory.decide(latest, request),
                revision -> AuditEntry.published(revision, command.actor()), command.mode());
    }
}
