package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.identity.Actor;

import io.pgfleet.domain.capability.CapabilityMode;

import java.util.Objects;

/**
 * Publish an earlier version's document again, as a new version.
 *
 * @param collectorId  the collector
 * @param toVersion    the version whose document is published again
 * @param precondition the {@code If-Match} expectation of the latest version
 * @param actor        who rolls back
 * @param message      why, empty when not given
 * @param mode         whether members lacking capabilities refuse it (the default) or are marked ({@code force})
 */
public record RollbackConfigCommand(CollectorId collectorId, ConfigVersion toVersion, Precondition precondition,
                                    Actor actor, String message, CapabilityMode mode) {

    /** Requires every part and a message no longer than the domain allows. */
    public RollbackConfigCommand {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(toVersion, "toVersion");
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(mode, "mode");
        if (io.pgfleet.domain.common.ShownText.characters(message) > PublishRequest.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("a change message is at most " + PublishRequest.MAX_MESSAGE_LENGTH + " characters");
        }
    }

    /**
     * A rollback that refuses members lacking capabilities.
     *
     * @param collectorId  the collector
     * @param toVersion    the version whose document is published again
     * @param precondition the {@code If-Match} expectation
     * @param actor        who rolls back
     * @param message      why
     */
    public RollbackConfigCommand(CollectorId collectorId, ConfigVersion toVersion, Precondition precondition,
                                 Actor actor, String message) {
        this(collectorId, toVersion, precondition, actor, message, CapabilityMode.CHECK);
    }
}
