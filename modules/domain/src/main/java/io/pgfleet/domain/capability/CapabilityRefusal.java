package io.pgfleet.domain.capability;

import io.pgfleet.domain.collector.CollectorId;

import java.util.List;

/**
 * A change refused because members lack what their new effective configuration needs; nothing stored.
 *
 * @param members      the first lacking members with their gaps
 * @param total        how many members lack something
 * @param unknown      the first members whose agents never reported facts (not refused)
 * @param unknownTotal how many such members the change reaches
 */
public record CapabilityRefusal(List<MemberGaps> members, int total, List<CollectorId> unknown, int unknownTotal) {

    /** How many members a refusal names, of each kind. */
    public static final int MAX_LISTED = 50;

    /** Copies the lists; requires at least one lacking member. */
    public CapabilityRefusal {
        members = List.copyOf(members);
        unknown = List.copyOf(unknown);
        if (members.isEmpty() || total < members.size() || unknownTotal < unknown.size()) {
            throw new IllegalArgumentException("a refusal names at least one lacking member, and counts them all");
        }
    }
}
