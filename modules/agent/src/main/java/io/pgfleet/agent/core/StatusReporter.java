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
     */
    record Report(int version, ApplyStatus status, String error, String effectiveSha256, AllowLists allowLists) {
    }

    /**
     * Sends a report.
     *
     * @param report the report
     * @throws ServerException when it cannot be delivered
     */
    void report(Report report) throws ServerException;
}
