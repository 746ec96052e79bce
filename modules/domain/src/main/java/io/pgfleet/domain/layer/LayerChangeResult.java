package io.pgfleet.domain.layer;

import java.util.List;
import java.util.Objects;

/**
 * The expected outcomes of a group or label change.
 */
public sealed interface LayerChangeResult {

    /**
     * Done; the affected collectors' effective documents follow.
     *
     * @param changed how many collectors got a new effective revision
     */
    record Done(int changed) implements LayerChangeResult {
    }

    /**
     * The group does not exist, or no collector ever had the id (a decommissioned collector's id is
     * answered with {@link Decommissioned}).
     */
    record NotFound() implements LayerChangeResult {
    }

    /**
     * The collector was decommissioned: its labels stay as they were and it cannot be decommissioned
     * again. Nothing changed. The label use cases tell it from {@link NotFound} on that refusal's
     * path only (one read of the collector's decommission time), never when a change goes through.
     *
     * @param collectorId the collector
     * @param at          when it was decommissioned
     */
    record Decommissioned(io.pgfleet.domain.collector.CollectorId collectorId, java.time.Instant at)
            implements LayerChangeResult {
        /** Requires both. */
        public Decommissioned {
            Objects.requireNonNull(collectorId, "collectorId");
            Objects.requireNonNull(at, "at");
        }
    }

    /** A group with this id exists, or a deleted group not yet purged by retention has it. */
    record AlreadyExists() implements LayerChangeResult {
    }

    /**
     * Some member's effective document would be invalid; nothing stored.
     *
     * @param members the first members with their errors
     * @param total   how many members would be invalid in all
     */
    record MembersInvalid(List<MemberErrors> members, int total) implements LayerChangeResult {
        /** Copies the list. */
        public MembersInvalid {
            members = List.copyOf(members);
            Objects.requireNonNull(members, "members");
        }
    }

    /**
     * Some member lacks what its new effective document needs, as its agent reported; nothing stored
     * ({@code ?force=true} accepts it).
     *
     * @param refusal the lacking members, and the members whose agents never reported facts
     */
    record LacksCapabilities(io.pgfleet.domain.capability.CapabilityRefusal refusal) implements LayerChangeResult {
        /** Requires the refusal. */
        public LacksCapabilities {
            java.util.Objects.requireNonNull(refusal, "refusal");
        }
    }

    /**
     * A new group would be one more than the server keeps ({@link Group#MAX_GROUPS}); nothing stored.
     *
     * @param limit the most groups there may be
     */
    record TooManyGroups(int limit) implements LayerChangeResult {
    }

    /**
     * A rollout holds the group's layer; nothing changed.
     *
     * @param rollout the active rollout's id
     */
    record UnderRollout(long rollout) implements LayerChangeResult {
    }
}
