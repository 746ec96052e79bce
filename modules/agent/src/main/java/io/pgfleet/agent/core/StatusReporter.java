package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.ApplyStatus;

/**
 * Where the agent reports each apply attempt.
 */
public interface StatusReporter {

    /**
     * One report.
     *
     * @param version         the version tried
     * @param status          applied or failed
     * @param error           why it failed, empty when applied
     * @param effectiveSha256 SHA-256 of the configuration running now
     * @param allowLists      what this host allows a configuration to use
     * @param postgres        what the monitored PostgreSQL offered when last probed, empty when unknown
     */
    record Report(int version, ApplyStatus status, String error, String effectiveSha256, AllowLists allowLists,
                  java.util.Optional<io.pgfleet.domain.fleet.HostFacts.PostgresFacts> postgres) {

        /**
         * A report without PostgreSQL facts.
         *
         * @param version         the version tried
         * @param status          applied or failed
         * @param error           why it failed
         * @param effectiveSha256 SHA-256 of the configuration running now
         * @param allowLists      what this host allows
         */
        public Report(int version, ApplyStatus status, String error, String effectiveSha256, AllowLists allowLists) {
            this(version, status, error, effectiveSha256, allowLists, java.util.Optional.empty());
        }
    }

    /**
     * Sends a report.
     *
     * @param report the report
     * @throws ServerException when it cannot be delivered
     */
    void report(Report report) throws ServerException;
}
