package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;

import java.util.List;

/**
 * The outcome of asking for a page of history.
 */
public sealed interface HistoryLookup {

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
