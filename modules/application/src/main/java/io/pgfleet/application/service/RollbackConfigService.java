package io.pgfleet.application.service;

import io.pgfleet.application.port.in.RollbackConfigCommand;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.config.ConfigHistory;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.schema.Validation;

import java.time.Clock;
import java.util.Optional;

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
        Optional<ConfigRevision> target = revisions.loadVersion(command.collectorId(), command.toVersion());
        if (target.isEmpty()) {
            // A decommissioned collector takes no rollback to any version: it answers as gone,
            // not as lacking the version (the store refuses it a rollback to one it has).
            if (collectors.loadCollector(command.collectorId()).isEmpty()) {
                return new PublishResult.CollectorNotFound(command.collectorId());
            }
            return collectors.loadDecommissionedAt(command.collectorId())
                    .<PublishResult>map(at -> new PublishResult.Decommissioned(command.collectorId(), at))
                    .orElseGet(() -> new PublishResult.UnknownVersion(command.collectorId(), command.toVersion()));
        }
        // An old version may predate today's schema; it is held to the same rules as a new document.
        if (validator.validate(target.get().document()) instanceof Validation.Invalid invalid) {
            return new PublishResult.Invalid(invalid);
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
