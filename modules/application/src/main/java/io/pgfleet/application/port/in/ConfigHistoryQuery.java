package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;

/**
 * Reading a collector's configuration history.
 */
public interface ConfigHistoryQuery {

    /** The largest page. */
    int MAX_PAGE = 500;

    /**
     * A page of history, newest first.
     *
     * @param collectorId   the collector
     * @param beforeVersion only versions below this one ({@link Integer#MAX_VALUE} for the newest)
     * @param limit         page size, 1..{@link #MAX_PAGE}
     * @return the page, or why there is none
     */
    HistoryLookup history(CollectorId collectorId, int beforeVersion, int limit);
}
