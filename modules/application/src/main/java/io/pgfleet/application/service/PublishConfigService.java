package io.pgfleet.application.service;

import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.config.ConfigHistory;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.Validation;

import java.time.Clock;

final class PublishConfigService implements PublishConfigUseCase {

    private final OwnLayerAppender append;
    private final DocumentValidator validator;
    private final Clock clock;

    PublishConfigService(AppendConfigRevisionPort append, DocumentValidator validator, Clock clock) {
        this(OwnLayerAppender.of(append), validator, clock);
    }

    PublishConfigService(OwnLayerAppender append, DocumentValidator validator, Clock clock) {
        this.append = append;
        this.validator = validator;
        this.clock = clock;
    }

    @Override
    public PublishResult publish(PublishConfigCommand command) {
        // Parsed once: the merge with the other layers uses this parse.
        ParseOutcome parsed = validator.parse(command.document());
        Validation validation = ConfigValidator.validateNew(command.document().text(), parsed);
        if (validation instanceof Validation.Invalid invalid) {
            return new PublishResult.Invalid(invalid);
        }
        PublishRequest request = new PublishRequest(command.collectorId(), command.document(), command.precondition(),
                command.actor(), command.message(), new RevisionSource.Put(), clock.instant());
        // If-Match may name the own version the editor read or the effective revision it read:
        // either still current is accepted (RFC 9110 strong comparison on each).
        PublishRequest anyCurrent = new PublishRequest(request.collectorId(), request.document(), new Precondition.None(),
                request.actor(), request.message(), request.source(), request.at());
        return append.append(command.collectorId(), (latest, effectiveTag) ->
                        command.precondition() instanceof Precondition.MatchesOneOf m && m.isMetByTag(effectiveTag)
                                ? ConfigHistory.decide(latest, anyCurrent)
                                : ConfigHistory.decide(latest, request),
                revision -> AuditEntry.published(revision, command.actor()), command.mode(),
                new ParsedDocument(command.document(), parsed, java.util.Optional.of(validation)));
    }
}
