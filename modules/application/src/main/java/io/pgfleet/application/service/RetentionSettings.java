package io.pgfleet.application.service;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the server keeps what piles up, and how it deletes it.
 *
 * @param samples         how long metric samples are kept (after they were measured)
 * @param sampleBatchIds  how long a batch id is remembered to acknowledge a retried push
 * @param spentTokens     how long a refresh or enrolment token is kept after it was used or expired (a refresh
 *                        token also: after it was superseded by a retry of the token before it)
 * @param batchSize       the most rows one delete statement removes
 * @param interval        how often the purge runs
 * @param keepVersions    how many of the newest versions of each configuration (a collector's own
 *                        document, the fleet layer, a group's layer) are kept; 0 keeps every version
 * @param audit           how long audit entries are kept; zero keeps them forever
 */
public record RetentionSettings(Duration samples, Duration sampleBatchIds, Duration spentTokens, int batchSize,
                              Duration interval, int keepVersions, Duration audit) {

    /** The fewest versions a configuration may be cut down to, so that a rollback always has some room. */
    public static final int MIN_KEEP_VERSIONS = 10;
    /** The most versions the setting may name (a bound, not a recommendation). */
    public static final int MAX_KEEP_VERSIONS = 1_000_000;
    /** The longest audit retention that may be set: 100 years (beyond it a cutoff leaves PostgreSQL's time range). */
    public static final Duration MAX_AUDIT = Duration.ofDays(36_500);
    /**
     * The longest samples, batch ids and spent tokens may be kept: 100 years, as for the audit trail
     * (beyond it a cutoff leaves PostgreSQL's time range).
     */
    public static final Duration MAX_PERIOD = MAX_AUDIT;
    /** The longest time between two purges: a day (a longer one would let the rows retention removes pile up for weeks). */
    public static final Duration MAX_INTERVAL = Duration.ofDays(1);
    /** Versions kept of each configuration unless configured otherwise. */
    public static final int DEFAULT_KEEP_VERSIONS = 1000;
    /** How long audit entries are kept unless configured otherwise: a year and a month, for a yearly review. */
    public static final Duration DEFAULT_AUDIT = Duration.ofDays(400);

    /**
     * The settings with the default history retention ({@value #DEFAULT_KEEP_VERSIONS} versions, 400
     * days of audit).
     *
     * @param samples        how long metric samples are kept
     * @param sampleBatchIds how long a batch id is remembered
     * @param spentTokens    how long a spent token is kept
     * @param batchSize      the most rows one delete statement removes
     * @param interval       how often the purge runs
     */
    public RetentionSettings(Duration samples, Duration sampleBatchIds, Duration spentTokens, int batchSize,
                             Duration interval) {
        this(samples, sampleBatchIds, spentTokens, batchSize, interval, DEFAULT_KEEP_VERSIONS, DEFAULT_AUDIT);
    }

    /** Requires positive durations in their bounds, a batch size of 1..100,000 and a history retention in its bounds. */
    public RetentionSettings {
        Objects.requireNonNull(audit, "audit");
        if (audit.isNegative() || audit.compareTo(MAX_AUDIT) > 0) {
            throw new IllegalArgumentException("the audit retention is zero (forever) or positive, at most "
                    + MAX_AUDIT.toDays() + " days, got " + audit);
        }
        if (keepVersions != 0 && (keepVersions < MIN_KEEP_VERSIONS || keepVersions > MAX_KEEP_VERSIONS)) {
            throw new IllegalArgumentException("the versions kept of each configuration are 0 (all) or "
                    + MIN_KEEP_VERSIONS + ".." + MAX_KEEP_VERSIONS + ", got " + keepVersions);
        }
        Objects.requireNonNull(samples, "samples");
        Objects.requireNonNull(sampleBatchIds, "sampleBatchIds");
        Objects.requireNonNull(spentTokens, "spentTokens");
        Objects.requireNonNull(interval, "interval");
        for (Duration d : new Duration[] {samples, sampleBatchIds, spentTokens, interval}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("retention periods and the purge interval are positive, got " + d);
            }
        }
        for (Duration d : new Duration[] {samples, sampleBatchIds, spentTokens}) {
            if (d.compareTo(MAX_PERIOD) > 0) {
                throw new IllegalArgumentException("retention periods are at most " + MAX_PERIOD.toDays() + " days, got " + d);
            }
        }
        if (interval.compareTo(MAX_INTERVAL) > 0) {
            throw new IllegalArgumentException("the purge interval is at most " + MAX_INTERVAL.toSeconds() + " seconds, got "
                    + interval);
        }
        if (batchSize < 1 || batchSize > 100_000) {
            throw new IllegalArgumentException("the purge batch size must be 1..100000, got " + batchSize);
        }
    }

    /**
     * 14 days of samples, 2 days of batch ids, spent tokens 7 days after use or expiry, the newest
     * 1,000 versions of each configuration, 400 days of audit entries, 1,000 rows a delete, a purge
     * every hour.
     *
     * @return the defaults
     */
    public static RetentionSettings defaults() {
        return new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 1000, Duration.ofHours(1));
    }
}
