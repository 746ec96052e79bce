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

/**
 * Publishes a collector's own document: validated first, then decided and stored while the
 * collector is held. A decommissioned collector's id is answered {@link PublishResult.Decommissioned}
 * whatever the document, an id no collector ever had {@link PublishResult.CollectorNotFound} (after
 * validation, as before); either is told on its refusal's path only, never when a publish goes through.
 */
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
            // A decommissioned collector takes no document, valid or not: that answer comes first, so
            // nobody fixes a document that can never be published. Read on this refusal's path only.
            return append.decommissionedAt(command.collectorId())
                    .<PublishResult>map(at -> new PublishResult.Decommissioned(command.collectorId(), at))
                    .orElseGet(() -> new PublishResult.Invalid(invalid));
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
