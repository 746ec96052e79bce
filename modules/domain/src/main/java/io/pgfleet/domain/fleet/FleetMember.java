package io.pgfleet.domain.fleet;

import io.pgfleet.domain.collector.Collector;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One collector in the fleet view: what it should run and what it says it runs.
 *
 * @param collector      the collector
 * @param lastSeenAt     when it last reported or pushed, if ever
 * @param latestVersion  the latest published version, 0 when none
 * @param appliedVersion the version it last applied, 0 when none
 * @param lastStatus     the outcome of its last apply attempt, if any
 * @param lastError      the error of its last attempt, empty when none
 * @param lastAttempted  the version of its last attempt, 0 when none
 * @param hashAgrees     false when the configuration hash the collector reported differs from the
 *                       server's hash of its effective configuration (true when either is unknown)
 * @param stale          whether it was seen, but not for three push or pull intervals (a collector never seen is
 *                       {@link #neverSeen() never seen}, not stale)
 * @param allowances     what its host allows a configuration to use, as last reported
 * @param agentVersion   the agent's version from its last report, empty when unknown
 * @param facts          what its agent last said the host can run, empty when it never said
 * @param gaps           what its effective configuration needs and the host lacks, as known when the
 *                       configuration was published with {@code force}; empty otherwise
 * @param leftBehind     the rolled-back rollout whose staged version its effective revision still
 *                       names, when a rollback could not take it back
 * @param fromBackup     whether its apply status (applied version, status, hash) is the one a restore of
 *                       the server's database brought back (or had none) and its agent has not said
 *                       since what it runs: that is not known, so it is not {@link #inSync() in sync}
 */
public record FleetMember(Collector collector, Optional<Instant> lastSeenAt, int latestVersion, int appliedVersion,
                          Optional<ApplyStatus> lastStatus, String lastError, int lastAttempted, boolean hashAgrees,
                          boolean stale, Optional<HostAllowances> allowances, String agentVersion,
                          Optional<HostFacts> facts, java.util.List<CapabilityGap> gaps,
                          Optional<LeftBehind> leftBehind, boolean fromBackup) {

    /**
     * A member without facts or gaps.
     *
     * @param collector      the collector
     * @param lastSeenAt     when it last reported or pushed
     * @param latestVersion  the latest published version
     * @param appliedVersion the version it last applied
     * @param lastStatus     the outcome of its last apply attempt
     * @param lastError      the error of its last attempt
     * @param lastAttempted  the version of its last attempt
     * @param hashAgrees     whether the hashes agree
     * @param stale          whether it has not been seen for three push or pull intervals
     * @param allowances     what its host allows
     * @param agentVersion   the agent's version
     */
    public FleetMember(Collector collector, Optional<Instant> lastSeenAt, int latestVersion, int appliedVersion,
                       Optional<ApplyStatus> lastStatus, String lastError, int lastAttempted, boolean hashAgrees,
                       boolean stale, Optional<HostAllowances> allowances, String agentVersion) {
        this(collector, lastSeenAt, latestVersion, appliedVersion, lastStatus, lastError, lastAttempted, hashAgrees,
                stale, allowances, agentVersion, Optional.empty(), java.util.List.of(), Optional.empty(), false);
    }

    /** Requires every part. */
    public FleetMember {
        Objects.requireNonNull(collector, "collector");
        Objects.requireNonNull(lastSeenAt, "lastSeenAt");
        Objects.requireNonNull(lastStatus, "lastStatus");
        Objects.requireNonNull(lastError, "lastError");
        Objects.requireNonNull(allowances, "allowances");
        Objects.requireNonNull(agentVersion, "agentVersion");
        Objects.requireNonNull(facts, "facts");
        gaps = java.util.List.copyOf(gaps);
        Objects.requireNonNull(leftBehind, "leftBehind");
    }

    /**
     * Whether no agent has ever reported or pushed for the collector (made known before its agent
     * exists, or registered and gone before its first report). Such a collector is neither stale
     * nor out of sync: there is nothing yet to be silent about or to drift from.
     *
     * @return true when it was never seen
     */
    public boolean neverSeen() {
        return lastSeenAt.isEmpty();
    }

    /**
     * Whether the collector runs what the server wants it to run.
     *
     * @return true when it was seen and either applied the latest effective revision (and runs what the
     *         server computed for it) or has nothing published, so runs the defaults the server wants;
     *         false while its status is {@link #fromBackup() from a backup}, and for a revoked collector
     *         (it can take nothing from the server: revoked is a state of its own, as the gauge counts it)
     */
    public boolean inSync() {
        if (collector.revoked() || neverSeen() || fromBackup) {
            return false;
        }
        return latestVersion == 0 || appliedVersion == latestVersion && hashAgrees;
    }

    /**
     * Whether the collector was seen and does not run what the server wants it to run: the
     * condition the {@code out_of_sync} gauge counts and its alert is about.
     *
     * @return true when seen, not revoked and not {@link #inSync() in sync}
     */
    public boolean outOfSync() {
        return !collector.revoked() && !neverSeen() && !inSync();
    }
}
