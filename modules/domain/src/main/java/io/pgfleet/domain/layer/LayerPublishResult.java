package io.pgfleet.domain.layer;

import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.schema.ValidationError;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The expected outcomes of publishing (or rolling back) the fleet layer or a group's layer.
 */
public sealed interface LayerPublishResult {

    /**
     * A new version was stored and every affected collector's effective document updated.
     *
     * @param revision the new version
     * @param changed  how many collectors got a new effective revision
     */
    record Published(LayerRevision revision, int changed) implements LayerPublishResult {
        /** Requires the revision. */
        public Published {
            Objects.requireNonNull(revision, "revision");
        }
    }

    /** @param latest the latest version, equal to the published document: nothing stored */
    record Unchanged(LayerRevision latest) implements LayerPublishResult {
    }

    /** @param current the latest version now, if any: the {@code If-Match} expectation failed, nothing stored */
    record VersionConflict(Optional<LayerRevision> current) implements LayerPublishResult {
    }

    /** @param id the group that does not exist */
    record GroupNotFound(GroupId id) implements LayerPublishResult {
    }

    /**
     * @param layer   the layer
     * @param version the version a rollback named, which the layer does not have
     */
    record UnknownVersion(LayerId layer, ConfigVersion version) implements LayerPublishResult {
    }

    /**
     * The layer's document breaks the schema by itself; nothing stored.
     *
     * @param layer  the layer version it would have been, e.g. {@code fleet@4}
     * @param errors the problems with line and column in the layer's document: the first
     *               {@link io.pgfleet.domain.schema.Validation#MAX_REPORTED_ERRORS} by position
     * @param total  how many problems were found in all
     */
    record Invalid(String layer, List<ValidationError> errors, int total) implements LayerPublishResult {
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
     * @param total   how many members would be invalid in all
     */
    record MembersInvalid(List<MemberErrors> members, int total) implements LayerPublishResult {
        /** Copies the list. */
        public MembersInvalid {
            members = List.copyOf(members);
        }
    }

    /**
     * Some member lacks what its new effective document needs, as its agent reported; nothing stored
     * ({@code ?force=true} accepts it).
     *
     * @param refusal the lacking members, and the members whose agents never reported facts
     */
    record LacksCapabilities(io.pgfleet.domain.capability.CapabilityRefusal refusal) implements LayerPublishResult {
        /** Requires the refusal. */
        public LacksCapabilities {
            java.util.Objects.requireNonNull(refusal, "refusal");
        }
    }

    /**
     * A rollout holds the layer: its next version is the rollout's to decide; nothing stored.
     *
     * @param layer   the layer
     * @param rollout the active rollout's id
     */
    record UnderRollout(LayerId layer, long rollout) implements LayerPublishResult {
    }
}
