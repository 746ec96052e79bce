package io.pgfleet.application.port.in;

import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.ApplyStatus;

/**
 * An agent reports what it did with a configuration version.
 */
public interface ReportStatusUseCase {

    /**
     * Records an apply report from an agent that says neither its host's allow-lists nor its version.
     *
     * @param collectorId     the agent
     * @param version         the version it tried
     * @param status          applied or failed
     * @param error           why it failed, empty when applied
     * @param effectiveSha256 SHA-256 of the configuration it runs now
     * @return stored or collector not found
     */
    default Receipt report(CollectorId collectorId, int version, ApplyStatus status, String error,
                           String effectiveSha256) {
        return report(collectorId, version, status, error, effectiveSha256, java.util.Optional.empty(), "");
    }

    /**
     * Records an apply report; the fleet view shows it at once.
     *
     * @param collectorId     the agent
     * @param version         the version it tried
     * @param status          applied or failed
     * @param error           why it failed, empty when applied
     * @param effectiveSha256 SHA-256 of the configuration it runs now
     * @param allowances      the host's allow-lists, when the agent sends them
     * @param agentVersion    the agent's own version, empty when it did not say
     * @return stored or collector not found
     * @throws IllegalArgumentException when a part is malformed (the report is not stored)
     */
    default Receipt report(CollectorId collectorId, int version, ApplyStatus status, String error,
                           String effectiveSha256, java.util.Optional<io.pgfleet.domain.fleet.HostAllowances> allowances,
                           String agentVersion) {
        return report(collectorId, version, status, error, effectiveSha256, allowances, agentVersion,
                java.util.Optional.empty());
    }

    /**
     * Records an apply report with what the agent says its host can run; the fleet view shows it at
     * once and later publishes are checked against it. A report without facts keeps the facts reported
     * before.
     *
     * @param collectorId     the agent
     * @param version         the version it tried
     * @param status          applied or failed
     * @param error           why it failed, empty when applied
     * @param effectiveSha256 SHA-256 of the configuration it runs now
     * @param allowances      the host's allow-lists, when the agent sends them
     * @param agentVersion    the agent's own version, empty when it did not say
     * @param facts           the host's facts, when the agent sends them
     * @return stored, collector not found, or unknown revision (a version above the collector's latest
     *         effective revision: nothing stored)
     * @throws IllegalArgumentException when a part is malformed (the report is not stored)
     */
    Receipt report(CollectorId collectorId, int version, ApplyStatus status, String error,
                   String effectiveSha256, java.util.Optional<io.pgfleet.domain.fleet.HostAllowances> allowances,
                   String agentVersion, java.util.Optional<io.pgfleet.domain.fleet.HostFacts> facts);
}
