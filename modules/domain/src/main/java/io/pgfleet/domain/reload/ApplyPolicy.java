package io.pgfleet.domain.reload;

/**
 * Which fetched versions an agent applies: only newer ones, and never a version that already
 * failed on this host (it would fail again; the operator publishes a fix as a new version).
 */
public final class ApplyPolicy {

    private ApplyPolicy() {
    }

    /**
     * Decides.
     *
     * @param appliedVersion the version running, 0 when none
     * @param failedVersion  the last version that failed here, 0 when none
     * @param fetched        the version the server sent
     * @return apply or skip
     */
    public static ApplyDecision decide(int appliedVersion, int failedVersion, int fetched) {
        if (fetched <= appliedVersion) {
            return new ApplyDecision.Skip("version " + fetched + " is not newer than the running version " + appliedVersion);
        }
        if (fetched == failedVersion) {
            return new ApplyDecision.Skip("version " + fetched + " already failed on this host; waiting for a newer one");
        }
        return new ApplyDecision.Apply();
    }
}
