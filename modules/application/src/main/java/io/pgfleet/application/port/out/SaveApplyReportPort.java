package io.pgfleet.application.port.out;

import io.pgfleet.domain.fleet.ApplyReport;

/**
 * Keeps each collector's latest apply report.
 */
public interface SaveApplyReportPort {

    /**
     * Records a report and marks the collector as seen.
     *
     * @param report the report
     * @return false when the collector is unknown
     */
    boolean saveApplyReport(ApplyReport report);
}
