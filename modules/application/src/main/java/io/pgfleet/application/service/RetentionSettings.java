package io.pgfleet.application.service;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the server keeps what piles up, and how it deletes it.
 *
 * @param samples         how long metric samples are kept (after they were measured)
 * @param sampleBatchIds  how long a batch id is remembered to acknowledge a retried push
 * @param spentTokens     how long a refresh or enrolment token is kept after it was used or expired
 * @param batchSize       the most rows one delete statement removes
 * @param interval        how often the purge runs
 */
public record RetentionSettings(Duration samples, Duration sampleBatchIds, Duration spentTokens, int batchSize,
                              Duration interval) {

    /** Requires positive durations and a batch size of 1..100,000. */
    public RetentionSettings {
        Objects.requireNonNull(samples, "samples");
        Objects.requireNonNull(sampleBatchIds, "sampleBatchIds");
        Objects.requireNonNull(spentTokens, "spentTokens");
        Objects.requireNonNull(interval, "interval");
        for (Duration d : new Duration[] {samples, sampleBatchIds, spentTokens, interval}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("retention periods and the purge interval are positive, got " + d);
            }
        }
        if (batchSize < 1 || batchSize > 100_000) {
            throw new IllegalArgumentException("the purge batch size must be 1..100000, got " + batchSize);
        }
    }

    /**
     * 14 days of samples, 2 days of batch ids, spent tokens 7 days after use or expiry, 1,000 rows a
     * delete, a purge every hour.
     *
     * @return the defaults
     */
    public static RetentionSettings defaults() {
        return new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 1000, Duration.ofHours(1));
    }
}
