package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;

import java.time.Duration;

/**
 * Long-poll: wait until a collector's configuration is newer than the version the caller has.
 */
public interface WatchConfigQuery {

    /**
     * Answers at once when the latest version is newer than {@code afterVersion}, else waits up to
     * {@code wait} for one to be published on any server instance. Holds no database connection
     * while waiting. A caller ahead of the latest version this instance knows is answered from the
     * database: at once with its latest version when that is older than {@code afterVersion} (the
     * database was restored from an older backup), else as usual (another instance committed the
     * caller's version and this one has yet to hear of it).
     *
     * @param collectorId  the collector
     * @param afterVersion the version the caller has
     * @param wait         how long to hold at most
     * @return the newer (or, the caller being ahead of the database, older) revision, or the lookup
     *         outcome when the wait ended without one
     * @throws InterruptedException when the waiting thread is interrupted
     */
    default ConfigLookup awaitNewer(CollectorId collectorId, int afterVersion, Duration wait) throws InterruptedException {
        return awaitNewer(collectorId, afterVersion, wait, new WatchHold());
    }

    /**
     * As {@link #awaitNewer(CollectorId, int, Duration)}, and ends early, with the current answer,
     * when the caller ends {@code hold}.
     *
     * @param collectorId  the collector
     * @param afterVersion the version the caller has
     * @param wait         how long to hold at most
     * @param hold         ends the wait early when ended (before or during it)
     * @return the newer revision, or the lookup outcome when the wait ended without one
     * @throws InterruptedException when the waiting thread is interrupted
     */
    ConfigLookup awaitNewer(CollectorId collectorId, int afterVersion, Duration wait, WatchHold hold)
            throws InterruptedException;
}
