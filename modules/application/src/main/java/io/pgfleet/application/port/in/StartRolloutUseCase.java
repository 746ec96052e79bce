package io.pgfleet.application.port.in;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.MemberErrors;
import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutPolicy;
import io.pgfleet.domain.schema.ValidationError;

import java.util.List;
import java.util.Objects;

/**
 * Starting a staged rollout of a new version of the fleet layer or a group's layer. The version is
 * validated like any publish (the layer alone, then every member's effective document), stored as
 * staged, and delivered to the first wave's members at once.
 */
public interface StartRolloutUseCase {

    /**
     * Starts a rollout.
     *
     * @param command what to roll out and how
     * @return the outcome
     */
    StartResult start(StartRolloutCommand command);

    /**
     * A rollout to start.
     *
     * @param layer    the fleet or a group (never a collector's own layer)
     * @param document the new partial document
     * @param message  the change message, empty when none
     * @param policy   the waves and how they are judged
     * @param actor    who starts it
     */
    record StartRolloutCommand(LayerId layer, ConfigDocument document, String message, RolloutPolicy policy, Actor actor,
                               io.pgfleet.domain.capability.CapabilityMode mode) {
        /** Requires every part, a shared layer and a message of reasonable length. */
        public StartRolloutCommand {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(layer, "layer");
            Objects.requireNonNull(document, "document");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(actor, "actor");
            if (layer instanceof LayerId.Own) {
                throw new IllegalArgumentException("a collector's own layer is published directly, not rolled out");
            }
            if (io.pgfleet.domain.common.ShownText.characters(message) > PublishRequest.MAX_MESSAGE_LENGTH) {
                throw new IllegalArgumentException("a change message is at most " + PublishRequest.MAX_MESSAGE_LENGTH
                        + " characters");
            }
            // A wave's selector names labels as a group's does: one no collector can carry (a control or
            // bidirectional formatting character, 201 characters) matches none and is shown to whoever
            // reads the rollout.
            for (int i = 0; i < policy.waves().size(); i++) {
                if (policy.waves().get(i) instanceof io.pgfleet.domain.rollout.WaveSpec.BySelector s) {
                    try {
                        io.pgfleet.domain.collector.Collector.checkNewLabels(s.selector().labels());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("wave " + (i + 1) + ": no collector could carry this selector's"
                                + " label, so the wave could match none: " + e.getMessage(), e);
                    }
                }
            }
        }
    }

    /** The expected outcomes of starting a rollout. */
    sealed interface StartResult {
        /** @param rollout the running rollout, its first wave started */
        record Started(Rollout rollout) implements StartResult {
        }

        /** @param rollout the id of the rollout that already holds the layer */
        record LayerBusy(long rollout) implements StartResult {
        }

        /** @param id the group that does not exist */
        record GroupNotFound(GroupId id) implements StartResult {
        }

        /**
         * A wave would pass without testing anything: a selector wave, or the first wave, takes no
         * member that is not stale.
         *
         * @param untested the wave and the stale members it would have had
         */
        record EmptyWave(io.pgfleet.domain.rollout.WavePlan.UntestedWave untested) implements StartResult {
        }

        /** The document is the layer's current version already: there is nothing to roll out. */
        record Unchanged() implements StartResult {
        }

        /**
         * The layer's document breaks the schema by itself; nothing stored.
         *
         * @param layer  the layer version it would have been
         * @param errors the problems: the first {@link io.pgfleet.domain.schema.Validation#MAX_REPORTED_ERRORS}
         * @param total  how many problems were found in all
         */
        record Invalid(String layer, List<ValidationError> errors, int total) implements StartResult {
            /** Copies the errors. */
            public Invalid {
                errors = List.copyOf(errors);
                total = Math.max(total, errors.size());
            }
        }

        /**
         * Some member's effective document would be invalid; nothing stored.
         *
         * @param members the first members with their errors
         * @param total   how many in all
         */
        record MembersInvalid(List<MemberErrors> members, int total) implements StartResult {
            /** Copies the list. */
            public MembersInvalid {
                members = List.copyOf(members);
            }
        }

        /**
         * Some member lacks what the staged version's effective document needs, as its agent
         * reported; nothing stored ({@code force} accepts it, and those members are marked).
         *
         * @param refusal the lacking members, and the members whose agents never reported facts
         */
        record LacksCapabilities(io.pgfleet.domain.capability.CapabilityRefusal refusal) implements StartResult {
            /** Requires the refusal. */
            public LacksCapabilities {
                Objects.requireNonNull(refusal, "refusal");
            }
        }
    }
}
