package io.pgfleet.application.port.out;

import io.pgfleet.domain.fleet.ApplyReport;
import io.pgfleet.domain.fleet.Receipt;

/**
 * Keeps each collector's latest apply report.
 */
public interface SaveApplyReportPort {

    /**
     * Records a report and marks the collector as seen, unless it names a revision above the
     * collector's latest effective revision (decided in the same transaction as the write).
     *
     * @param report the report
     * @return {@link Receipt.Stored} (count 0), {@link Receipt.CollectorNotFound}, or
     *         {@link Receipt.UnknownRevision} when nothing was stored because the revision never existed
     */
    Receipt saveApplyReport(ApplyReport report);
}
