package io.pgfleet.application.port.in;

/**
 * Applies the retention policy once: everything older than its retention is deleted.
 */
public interface PurgeExpiredDataUseCase {

    /**
     * What one run deleted.
     *
     * @param samples         metric samples
     * @param sampleBatches   remembered batch ids
     * @param refreshTokens   used or expired refresh tokens
     * @param enrolmentTokens used or expired enrolment tokens
     * @param registrationKeys registrations' idempotency keys past their retention
     */
    record Purged(long samples, long sampleBatches, long refreshTokens, long enrolmentTokens, long registrationKeys) {

        /**
         * A run that deleted no registration keys.
         *
         * @param samples         metric samples
         * @param sampleBatches   remembered batch ids
         * @param refreshTokens   used or expired refresh tokens
         * @param enrolmentTokens used or expired enrolment tokens
         */
        public Purged(long samples, long sampleBatches, long refreshTokens, long enrolmentTokens) {
            this(samples, sampleBatches, refreshTokens, enrolmentTokens, 0);
        }

        /**
         * All rows deleted.
         *
         * @return the sum
         */
        public long total() {
            return samples + sampleBatches + refreshTokens + enrolmentTokens + registrationKeys;
        }
    }

    /**
     * Deletes what outlived its retention, as of now.
     *
     * @return the counts deleted
     */
    Purged purgeExpired();
}
