package io.pgfleet.domain.layer;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.identity.Actor;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A publish to the fleet layer or a group's layer, and the rule that decides it (the same rule as
 * a collector's history: precondition first, an identical document changes nothing, else the next
 * version).
 *
 * @param layer        the layer
 * @param document     the new partial document
 * @param precondition the {@code If-Match} expectation
 * @param actor        who publishes
 * @param message      the change message, empty when none
 * @param source       direct publish or rollback
 * @param at           the publishing time
 */
public record LayerPublish(LayerId layer, ConfigDocument document, Precondition precondition, Actor actor,
                           String message, RevisionSource source, Instant at) {

    /** Requires every part and a message of reasonable length. */
    public LayerPublish {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(precondition, "precondition");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(at, "at");
        if (layer instanceof LayerId.Own) {
            throw new IllegalArgumentException("a collector's own layer is published as a configuration");
        }
        if (io.pgfleet.domain.common.ShownText.characters(message) > PublishRequest.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("a change message is at most " + PublishRequest.MAX_MESSAGE_LENGTH
                    + " characters");
        }
    }

    /**
     * The outcome of this publish on top of the layer's latest version.
     *
     * @param latest the layer's latest version, if any
     * @return the decision
     */
    public Decision decide(Optional<LayerRevision> latest) {
        if (!precondition.isMetByTag(latest.map(LayerRevision::entityTag))) {
            return new Decision.Conflict(latest);
        }
        if (latest.isPresent() && latest.get().hash().equals(document.hash())) {
            return new Decision.Same(latest.get());
        }
        ConfigVersion version = latest.map(r -> r.version().next()).orElse(ConfigVersion.first());
        return new Decision.Next(new LayerRevision(layer, version, document, document.hash(), at, actor.name(),
                message, source));
    }

    /** What a publish does to the layer's history. */
    public sealed interface Decision {
        /** @param revision the new version to store */
        record Next(LayerRevision revision) implements Decision {
        }

        /** @param latest the latest version, equal to the published document */
        record Same(LayerRevision latest) implements Decision {
        }

        /** @param current the latest version now, if any */
        record Conflict(Optional<LayerRevision> current) implements Decision {
        }
    }
}
