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
     */
    record Purged(long samples, long sampleBatches, long refreshTokens, long enrolmentTokens) {

        /**
         * All rows deleted.
         *
         * @return the sum
         */
        public long total() {
            return samples + sampleBatches + refreshTokens + enrolmentTokens;
        }
    }

    /**
     * Deletes what outlived its retention, as of now.
     *
     * @return the counts deleted
     */
    Purged purgeExpired();
}
