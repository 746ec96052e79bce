package io.pgfleet.domain.config;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Instant;
import java.util.Objects;

/**
 * Everything needed to decide a publish: the document, who publishes it and what they expect
 * the latest revision to be.
 *
 * @param collectorId  the collector whose configuration changes
 * @param document     the new document
 * @param precondition the {@code If-Match} expectation
 * @param actor        who publishes
 * @param message      the change message, empty when none
 * @param source       direct publish or rollback
 * @param at           the publishing time
 */
public record PublishRequest(CollectorId collectorId, ConfigDocument document, Precondition precondition,
                             Actor actor, String message, RevisionSource source, Instant at) {

    /** Maximum length of a change message. */
    public static final int MAX_MESSAGE_LENGTH = 1000;

    /** Requires every part and a message of reasonable length. */
    public PublishRequest {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(at, "at");
        if (io.pgfleet.domain.common.ShownText.characters(message) > MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("a change message is at most " + MAX_MESSAGE_LENGTH + " characters");
        }
    }
}
