package io.pgfleet.application.port.in;

import java.util.List;
import io.pgfleet.domain.config.ConfigRevision;
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

    /**
     * The outcome of asking for a page of history.
     */
    sealed interface HistoryLookup {

        /**
         * A page of revisions, newest first.
         *
         * @param revisions the revisions
         * @param more      whether older revisions exist beyond this page
         */
        record Page(List<ConfigRevision> revisions, boolean more) implements HistoryLookup {
            /** Copies the list. */
            public Page {
                revisions = List.copyOf(revisions);
            }
        }

        /**
         * No collector has this id.
         *
         * @param collectorId the id asked for
         */
        record CollectorNotFound(CollectorId collectorId) implements HistoryLookup {
        }
    }
}
