package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.domain.collector.CollectorId;

/**
 * The latest configuration for a caller who already has a revision: what a watch compares with
 * the caller's {@code after}. Never older than the database's when it is older than the caller's,
 * so that a revision lower than {@code after} is the database's word (restored from an older
 * backup), not an instance that has yet to hear of a revision another instance committed.
 */
@FunctionalInterface
interface LatestAfter {

    /**
     * The collector's latest configuration.
     *
     * @param collectorId the collector
     * @param seen        the newest revision the caller has (0 for none)
     * @return the latest revision, read from the database when memory holds only an older one than {@code seen}
     */
    ConfigLookup latest(CollectorId collectorId, int seen);

    /**
     * For a query that reads the database every time: its answer is current already.
     *
     * @param query the query
     * @return the query, ignoring what the caller has seen
     */
    static LatestAfter fromDatabase(GetConfigQuery query) {
        return (collectorId, seen) -> query.latest(collectorId);
    }
}
