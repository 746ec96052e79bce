package io.pgfleet.application.service;

import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.domain.config.ConfigHistory;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;

import java.time.Clock;

final class PublishConfigService implements PublishConfigUseCase {

    private final AppendConfigRevisionPort append;
    private final Clock clock;

    PublishConfigService(AppendConfigRevisionPort append, Clock clock) {
        this.append = append;
        this.clock = clock;
    }

    @Override
    public PublishResult publish(PublishConfigCommand command) {
        PublishRequest request = new PublishRequest(command.collectorId(), command.document(), command.precondition(),
                command.actor(), command.message(), new RevisionSource.Put(), clock.instant());
        return append.append(command.collectorId(), latest -> ConfigHistory.decide(latest, request));
    }
}
