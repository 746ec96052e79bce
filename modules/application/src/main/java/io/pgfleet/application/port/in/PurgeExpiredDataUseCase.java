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
     * @param versions        configuration versions beyond the number kept (own documents and layers)
     * @param auditEntries    audit entries past their retention
     * @param rollouts        finished rollouts past the audit retention
     * @param deletedGroups   groups deleted longer ago than the audit retention, with their layers
     * @param decommissionedCollectors collectors decommissioned longer ago than the audit retention,
     *                        reduced to their tombstones
     */
    record Purged(long samples, long sampleBatches, long refreshTokens, long enrolmentTokens, long registrationKeys,
                  long versions, long auditEntries, long rollouts, long deletedGroups, long decommissionedCollectors) {

        /**
         * A run that purged no deleted group and no decommissioned collector.
         *
         * @param samples          metric samples
         * @param sampleBatches    remembered batch ids
         * @param refreshTokens    used or expired refresh tokens
         * @param enrolmentTokens  used or expired enrolment tokens
         * @param registrationKeys registrations' idempotency keys past their retention
         * @param versions         configuration versions beyond the number kept
         * @param auditEntries     audit entries past their retention
         * @param rollouts         finished rollouts past the audit retention
         */
        public Purged(long samples, long sampleBatches, long refreshTokens, long enrolmentTokens, long registrationKeys,
                      long versions, long auditEntries, long rollouts) {
            this(samples, sampleBatches, refreshTokens, enrolmentTokens, registrationKeys, versions, auditEntries, rollouts,
                    0, 0);
        }

        /**
         * A run that deleted no history.
         *
         * @param samples          metric samples
         * @param sampleBatches    remembered batch ids
         * @param refreshTokens    used or expired refresh tokens
         * @param enrolmentTokens  used or expired enrolment tokens
         * @param registrationKeys registrations' idempotency keys past their retention
         */
        public Purged(long samples, long sampleBatches, long refreshTokens, long enrolmentTokens, long registrationKeys) {
            this(samples, sampleBatches, refreshTokens, enrolmentTokens, registrationKeys, 0, 0, 0);
        }

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
            return samples + sampleBatches + refreshTokens + enrolmentTokens + registrationKeys + versions + auditEntries
                    + rollouts + deletedGroups + decommissionedCollectors;
        }
    }

    /**
     * Deletes what outlived its retention, as of now.
     *
     * @return the counts deleted
     */
    Purged purgeExpired();
}
