package io.pgfleet.domain.fleet;

import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What an agent says about one apply attempt.
 *
 * @param collectorId     the agent
 * @param version         the version it tried
 * @param status          applied or failed
 * @param error           why it failed, empty when applied
 * @param effectiveSha256 SHA-256 of the configuration it runs now (after the attempt)
 * @param reportedAt      when the server received the report
 * @param allowances      what the agent's host allows, when it says so
 * @param agentVersion    the agent's own version (e.g. {@code 0.1.0-SNAPSHOT}), empty when it did not say
 *                        (agents older than the field)
 * @param facts           what the agent says its host can run, when it says so (agents older than the field do not)
 */
public record ApplyReport(CollectorId collectorId, int version, ApplyStatus status, String error, String effectiveSha256,
                          Instant reportedAt, java.util.Optional<HostAllowances> allowances, String agentVersion,
                          java.util.Optional<HostFacts> facts) {

    /**
     * A report without facts.
     *
     * @param collectorId     the agent
     * @param version         the version it tried
     * @param status          applied or failed
     * @param error           why it failed
     * @param effectiveSha256 SHA-256 of the configuration it runs now
     * @param reportedAt      when the server received the report
     * @param allowances      what the agent's host allows, when it says so
     * @param agentVersion    the agent's own version
     */
    public ApplyReport(CollectorId collectorId, int version, ApplyStatus status, String error, String effectiveSha256,
                       Instant reportedAt, java.util.Optional<HostAllowances> allowances, String agentVersion) {
        this(collectorId, version, status, error, effectiveSha256, reportedAt, allowances, agentVersion,
                java.util.Optional.empty());
    }

    /**
     * A report without the host's allow-lists and the agent's version (older agents).
     *
     * @param collectorId     the agent
     * @param version         the version it tried
     * @param status          applied or failed
     * @param error           why it failed
     * @param effectiveSha256 SHA-256 of the configuration it runs now
     * @param reportedAt      when the server received the report
     */
    public ApplyReport(CollectorId collectorId, int version, ApplyStatus status, String error, String effectiveSha256,
                       Instant reportedAt) {
        this(collectorId, version, status, error, effectiveSha256, reportedAt, java.util.Optional.empty(), "",
                java.util.Optional.empty());
    }

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
    /** A version as agents and packages spell it: letters, digits and {@code . + ~ _ -}, at most 64. */
    private static final Pattern AGENT_VERSION = Pattern.compile("[0-9A-Za-z.+~_-]{0,64}");
    /** The longest error text kept. */
    public static final int MAX_ERROR = 4000;

    /** Requires a version, a hash, and an error exactly when failed. */
    public ApplyReport {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(reportedAt, "reportedAt");
        Objects.requireNonNull(allowances, "allowances");
        Objects.requireNonNull(agentVersion, "agentVersion");
        Objects.requireNonNull(facts, "facts");
        if (!AGENT_VERSION.matcher(agentVersion).matches()) {
            throw new IllegalArgumentException("agent_version is at most 64 letters, digits and . + ~ _ -");
        }
        if (version < 1) {
            throw new IllegalArgumentException("a report names a version, 1 or more");
        }
        if (effectiveSha256 == null || !SHA.matcher(effectiveSha256).matches()) {
            throw new IllegalArgumentException("effective_sha256 is 64 lower-case hex digits");
        }
        if (status == ApplyStatus.FAILED && error.isBlank()) {
            throw new IllegalArgumentException("a failed apply says why");
        }
        // An agent's error is kept whatever it holds (a failure must be recorded, and its text often
        // quotes a file or a server that the agent does not control), but what a terminal or a log
        // would act on is stored escaped: every reader of it (the fleet view, rollouts, scripts
        // printing the JSON) then shows it rather than passing it to the operator's terminal.
        error = io.pgfleet.domain.common.ShownText.escaped(error);
        if (error.length() > MAX_ERROR) {
            // Not between the two halves of a surrogate pair: half a character is no text.
            int end = Character.isHighSurrogate(error.charAt(MAX_ERROR - 1)) ? MAX_ERROR - 1 : MAX_ERROR;
            error = error.substring(0, end);
        }
    }
}
