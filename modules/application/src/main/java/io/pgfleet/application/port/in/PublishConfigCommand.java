package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.identity.Actor;

import io.pgfleet.domain.capability.CapabilityMode;

import java.util.Objects;

/**
 * Publish a new configuration document for a collector.
 *
 * @param collectorId  the collector
 * @param document     the TOML document
 * @param precondition the {@code If-Match} expectation of the latest version
 * @param actor        who publishes
 * @param message      the change message, empty when none
 * @param mode         whether members lacking capabilities refuse it (the default) or are marked ({@code force})
 */
public record PublishConfigCommand(CollectorId collectorId, ConfigDocument document, Precondition precondition,
                                   Actor actor, String message, CapabilityMode mode) {

    /** Requires every part and a message no longer than the domain allows. */
    public PublishConfigCommand {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(mode, "mode");
        if (io.pgfleet.domain.common.ShownText.characters(message) > PublishRequest.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("a change message is at most " + PublishRequest.MAX_MESSAGE_LENGTH + " characters");
        }
    }

    /**
     * A publish that refuses members lacking capabilities.
     *
     * @param collectorId  the collector
     * @param document     the TOML document
     * @param precondition the {@code If-Match} expectation
     * @param actor        who publishes
     * @param message      the change message
     */
    public PublishConfigCommand(CollectorId collectorId, ConfigDocument document, Precondition precondition,
                                Actor actor, String message) {
        this(collectorId, document, precondition, actor, message, CapabilityMode.CHECK);
    }
}
