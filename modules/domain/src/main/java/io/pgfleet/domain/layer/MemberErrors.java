package io.pgfleet.domain.layer;

import io.pgfleet.domain.collector.CollectorId;

import java.util.List;
import java.util.Objects;

/**
 * Why one collector's effective document would be invalid after a change.
 *
 * @param collectorId the collector
 * @param errors      the problems, each naming the layer it is in
 */
public record MemberErrors(CollectorId collectorId, List<LayerError> errors) {

    /** Requires at least one error. */
    public MemberErrors {
        Objects.requireNonNull(collectorId, "collectorId");
        errors = List.copyOf(errors);
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("an invalid member has at least one error");
        }
    }
}
