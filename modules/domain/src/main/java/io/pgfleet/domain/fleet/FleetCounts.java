package io.pgfleet.domain.fleet;

import java.util.List;

/**
 * How many collectors of the fleet (decommissioned ones left out) are in each state: what the
 * fleet gauges show. Revoked collectors are counted only as revoked; every other one is exactly one
 * of in sync, out of sync and never seen, may also be stale (when seen), and has exactly one apply
 * status (none when it never reported).
 *
 * @param inSync    not revoked, and running what the server wants ({@link FleetMember#inSync()})
 * @param outOfSync not revoked, seen, and not in sync ({@link FleetMember#outOfSync()})
 * @param stale     not revoked, seen, and not seen for three push or pull intervals since
 * @param neverSeen not revoked, and never seen ({@link FleetMember#neverSeen()})
 * @param revoked   revoked
 * @param applied   not revoked, whose last apply report says APPLIED
 * @param failed    not revoked, whose last apply report says FAILED
 * @param noReport  not revoked, that never sent an apply report
 * @param leftBehind not revoked, that a rolled-back rollout could not take back ({@link FleetMember#leftBehind()})
 */
public record FleetCounts(long inSync, long outOfSync, long stale, long neverSeen, long revoked, long applied,
                          long failed, long noReport, long leftBehind) {

    /** Requires counts that add up: each collector not revoked is counted once by sync state and once by apply status. */
    public FleetCounts {
        if (inSync < 0 || outOfSync < 0 || stale < 0 || neverSeen < 0 || revoked < 0 || applied < 0 || failed < 0
                || noReport < 0 || leftBehind < 0) {
            throw new IllegalArgumentException("a count cannot be negative");
        }
        if (inSync + outOfSync + neverSeen != applied + failed + noReport) {
            throw new IllegalArgumentException("collectors by sync state (" + (inSync + outOfSync + neverSeen)
                    + ") and by apply status (" + (applied + failed + noReport) + ") must be the same collectors");
        }
        if (stale > inSync + outOfSync) {
            throw new IllegalArgumentException("more stale collectors than collectors seen and not revoked");
        }
        if (leftBehind > inSync + outOfSync + neverSeen) {
            throw new IllegalArgumentException("more collectors left behind than collectors not revoked");
        }
    }

    /**
     * The counts of a fleet read member by member; the definition an aggregate query must agree with.
     *
     * @param fleet every collector of the fleet view
     * @return its counts
     */
    public static FleetCounts of(List<FleetMember> fleet) {
        long inSync = 0, outOfSync = 0, stale = 0, neverSeen = 0, revoked = 0, applied = 0, failed = 0, none = 0;
        long left = 0;
        for (FleetMember m : fleet) {
            if (m.collector().revoked()) {
                revoked++;
                continue;
            }
            if (m.neverSeen()) {
                neverSeen++;
            } else if (m.inSync()) {
                inSync++;
            } else {
                outOfSync++;
            }
            if (m.stale()) {
                stale++;
            }
            if (m.leftBehind().isPresent()) {
                left++;
            }
            if (m.lastStatus().isEmpty()) {
                none++;
            } else {
                switch (m.lastStatus().get()) {
                    case APPLIED -> applied++;
                    case FAILED -> failed++;
                }
            }
        }
        return new FleetCounts(inSync, outOfSync, stale, neverSeen, revoked, applied, failed, none, left);
    }
}
