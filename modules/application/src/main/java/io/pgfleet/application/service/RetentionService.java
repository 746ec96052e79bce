package io.pgfleet.application.service;

import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.port.out.PurgeExpiredDataPort;
import io.pgfleet.application.port.out.PurgeExpiredDataPort.Kind;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Deletes old samples, batch ids and spent tokens in bounded batches, each its own short
 * transaction, so a purge never holds locks long and a concurrent purge elsewhere is harmless.
 */
final class RetentionService implements PurgeExpiredDataUseCase {

    /** One run stops after this many batches of a kind; the rest goes in the next run. */
    static final int MAX_BATCHES_PER_RUN = 1000;

    private final PurgeExpiredDataPort purge;
    private final RetentionSettings policy;
    private final Clock clock;

    RetentionService(PurgeExpiredDataPort purge, RetentionSettings policy, Clock clock) {
        this.purge = purge;
        this.policy = policy;
        this.clock = clock;
    }

    @Override
    public Purged purgeExpired() {
        Instant now = clock.instant();
        return new Purged(purge(Kind.SAMPLES, now, policy.samples()),
                purge(Kind.SAMPLE_BATCHES, now, policy.sampleBatchIds()),
                purge(Kind.REFRESH_TOKENS, now, policy.spentTokens()),
                purge(Kind.ENROLMENT_TOKENS, now, policy.spentTokens()));
    }

    private long purge(Kind kind, Instant now, Duration keep) {
        Instant cutoff = now.minus(keep);
        long total = 0;
        for (int i = 0; i < MAX_BATCHES_PER_RUN; i++) {
            int n = purge.purge(kind, cutoff, policy.batchSize());
            total += n;
            if (n < policy.batchSize()) {
                break;
            }
        }
        return total;
    }
}
