package io.pgfleet.domain.rollout;

/**
 * How the members of one wave stand.
 *
 * @param applied members that applied the staged version
 * @param failed  members that failed it or missed the deadline
 * @param pending members that have not reported for it yet (or whose wave has not started)
 * @param skipped members that were stale at the start or were decommissioned since
 */
public record WaveCounts(int applied, int failed, int pending, int skipped) {
    /** Requires counts of zero or more. */
    public WaveCounts {
        if (applied < 0 || failed < 0 || pending < 0 || skipped < 0) {
            throw new IllegalArgumentException("counts are zero or more");
        }
    }
}
