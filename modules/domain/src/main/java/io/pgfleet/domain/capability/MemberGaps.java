package io.pgfleet.domain.capability;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.CapabilityGap;

import java.util.List;
import java.util.Objects;

/**
 * What one member lacks for a configuration.
 *
 * @param collectorId the member
 * @param gaps        what it lacks, at least one
 */
public record MemberGaps(CollectorId collectorId, List<CapabilityGap> gaps) {

    /** Requires at least one gap. */
    public MemberGaps {
        Objects.requireNonNull(collectorId, "collectorId");
        gaps = List.copyOf(gaps);
        if (gaps.isEmpty()) {
            throw new IllegalArgumentException("a lacking member lacks something");
        }
    }
}
