package io.pgfleet.application.port.in;

import java.util.List;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

/**
 * Reading a collector's configuration history.
 */
public interface ConfigHistoryQuery {

    /** The largest page. */
    int MAX_PAGE = 500;

    /** "Before" for the first page: above every version there can be. */
    ConfigVersion NEWEST = new ConfigVersion(Integer.MAX_VALUE);

    /**
     * A page of history, newest first.
     *
     * @param collectorId   the collector
     * @param before        only versions below this one ({@link #NEWEST} for the newest page)
     * @param limit         page size, 1..{@link #MAX_PAGE}
     * @return the page, or why there is none
     */
    HistoryLookup history(CollectorId collectorId, ConfigVersion before, int limit);

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
         * No collector ever had this id. A decommissioned collector's history stays readable (a
         * {@link Page}), so this lookup needs no decommissioned case: the two are told apart by the
         * one read that finds the collector's row, which a decommissioned collector keeps.
         *
         * @param collectorId the id asked for
         */
        record CollectorNotFound(CollectorId collectorId) implements HistoryLookup {
        }
    }
}
