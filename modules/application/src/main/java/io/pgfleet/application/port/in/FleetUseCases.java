package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * The fleet use cases: agents' apply reports and samples, the fleet view.
 *
 * @param reportStatus agents reporting apply outcomes
 * @param pushMetrics agents pushing samples
 * @param query the fleet view and stored samples
 */
public record FleetUseCases(ReportStatusUseCase reportStatus, PushMetricsUseCase pushMetrics, FleetQuery query) {

    /** Requires every use case. */
    public FleetUseCases {
        Objects.requireNonNull(reportStatus, "reportStatus");
        Objects.requireNonNull(pushMetrics, "pushMetrics");
        Objects.requireNonNull(query, "query");
    }
}
