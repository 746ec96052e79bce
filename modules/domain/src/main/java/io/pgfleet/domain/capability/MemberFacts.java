package io.pgfleet.domain.capability;

import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.fleet.HostFacts;

import java.util.Objects;
import java.util.Optional;

/**
 * Everything a member's agent last reported about what its host can run.
 *
 * @param facts        the host's facts
 * @param allowances   what its local file allows, when the agent says
 * @param agentVersion the agent's own version, empty when it did not say
 */
public record MemberFacts(HostFacts facts, Optional<HostAllowances> allowances, String agentVersion) {

    /** Requires every part. */
    public MemberFacts {
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(allowances, "allowances");
        Objects.requireNonNull(agentVersion, "agentVersion");
    }
}
