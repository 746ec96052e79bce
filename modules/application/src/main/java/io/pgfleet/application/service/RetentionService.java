package io.pgfleet.application.service;

import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.port.out.PurgeExpiredDataPort;
import io.pgfleet.application.port.out.PurgeExpiredDataPort.Kind;
import io.pgfleet.application.port.out.SamplePartitionsPort;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * Keeps the samples table's days ahead of time and drops those past retention whole; deletes old
 * samples of the catch-all partition, batch ids, spent tokens, registration keys, the versions of
 * each configuration beyond the number kept, old audit entries and finished rollouts, and groups
 * deleted and collectors decommissioned as long ago, in bounded batches, each its own short
 * transaction, so a purge never holds locks long and a concurrent purge elsewhere is harmless.
 */
final class RetentionService implements PurgeExpiredDataUseCase {

    /** One run stops after this many batches of a kind; the rest goes in the next run. */
    static final int MAX_BATCHES_PER_RUN = 1000;
    /** Days of samples created ahead of today, so that a week without a run still finds its days. */
    static final int DAYS_AHEAD = 7;

    private final PurgeExpiredDataPort purge;
    private final SamplePartitionsPort partitions;
    private final RetentionSettings policy;
    private final Clock clock;

    RetentionService(PurgeExpiredDataPort purge, SamplePartitionsPort partitions, RetentionSettings policy, Clock clock) {
        this.purge = purge;
        this.partitions = partitions;
        this.policy = policy;
        this.clock = clock;
    }

    @Override
    public Purged purgeExpired() {
        Instant serverNow = clock.instant();
        LocalDate today = LocalDate.ofInstant(serverNow, ZoneOffset.UTC);
        // Yesterday too: a sample measured just before midnight may arrive after it.
        partitions.createDays(today.minusDays(1), today.plusDays(DAYS_AHEAD));
        // Ages count from the earlier clock: an instance whose clock jumped years ahead (a VM
        // restored with a wrong clock, a broken time source) must not take the audit trail, the
        // rollouts' records or days of samples with it. A database clock ahead is bounded the same way.
        Instant databaseNow = purge.databaseNow();
        Instant now = databaseNow.isBefore(serverNow) ? databaseNow : serverNow;
        SamplePartitionsPort.Dropped days = partitions.dropDaysBefore(now.minus(policy.samples()));
        return new Purged(days.samples() + purge(Kind.SAMPLES, now, policy.samples()),
                purge(Kind.SAMPLE_BATCHES, now, policy.sampleBatchIds()),
                purge(Kind.REFRESH_TOKENS, now, policy.spentTokens()),
                purge(Kind.ENROLMENT_TOKENS, now, policy.spentTokens()),
                // Fixed, not a setting: it is how long an agent may take to retry a lost answer.
                purge(Kind.REGISTRATION_KEYS, now, RegistrationService.KEY_RETENTION),
                history(PurgeExpiredDataPort.History.OWN_VERSIONS) + history(PurgeExpiredDataPort.History.LAYER_VERSIONS),
                policy.audit().isZero() ? 0 : purge(Kind.AUDIT_ENTRIES, now, policy.audit()),
                // A finished rollout's record is history like the audit trail, kept as long.
                policy.audit().isZero() ? 0 : rollouts(now.minus(policy.audit())),
                // So are a deleted group and a decommissioned collector: once every audit entry and
                // rollout that could name them is gone, their history goes too. After the rollouts,
                // so that a group whose layer only they named goes in the same run.
                policy.audit().isZero() ? 0 : deletedGroups(now.minus(policy.audit())),
                policy.audit().isZero() ? 0 : decommissionedCollectors(now.minus(policy.audit())));
    }

    /** Finished rollouts a few at a time: each carries its whole wave plan (a member row per collector). */
    static final int ROLLOUTS_PER_DELETE = 10;
    /**
     * Deleted groups and decommissioned collectors a few at a time: each carries up to
     * {@code retention_keep_versions} versions.
     */
    static final int SUBJECTS_PER_DELETE = 10;

    private long rollouts(Instant endedBefore) {
        return batches(ROLLOUTS_PER_DELETE, () -> purge.purgeFinishedRollouts(endedBefore, ROLLOUTS_PER_DELETE));
    }

    private long deletedGroups(Instant deletedBefore) {
        return batches(SUBJECTS_PER_DELETE, () -> purge.purgeDeletedGroups(deletedBefore, SUBJECTS_PER_DELETE));
    }

    private long decommissionedCollectors(Instant decommissionedBefore) {
        return batches(SUBJECTS_PER_DELETE,
                () -> purge.purgeDecommissionedCollectors(decommissionedBefore, SUBJECTS_PER_DELETE));
    }

    private long history(PurgeExpiredDataPort.History which) {
        return policy.keepVersions() == 0 ? 0
                : batches(policy.batchSize(), () -> purge.purgeHistory(which, policy.keepVersions(), policy.batchSize()));
    }

    private long purge(Kind kind, Instant now, Duration keep) {
        Instant cutoff = now.minus(keep);
        return batches(policy.batchSize(), () -> purge.purge(kind, cutoff, policy.batchSize()));
    }

    /** Runs one delete after another until one deletes less than a full batch, or the run's bound. */
    private static long batches(int full, java.util.function.IntSupplier delete) {
        long total = 0;
        for (int i = 0; i < MAX_BATCHES_PER_RUN; i++) {
            int n = delete.getAsInt();
            total += n;
            if (n < full) {
                break;
            }
        }
        return total;
    }
}
