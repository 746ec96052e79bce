package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.time.Instant;
import java.util.Set;

/**
 * The restore mark: collectors whose apply status a restore brought back and whose agents have not
 * said since what they run.
 */
public interface RestoredMarksPort {

    /**
     * The collectors marked now (none, except after a restore).
     *
     * @return their ids
     */
    Set<CollectorId> loadRestoredMarks();

    /**
     * Records, as an applied report of it would, that a marked collector's agent runs its current
     * effective revision, and clears its mark, in one transaction; nothing when it is not marked (any
     * more) or the revision is no longer its current one.
     *
     * @param collectorId the collector
     * @param revision    the effective revision its agent holds
     * @param at          when that was learnt
     * @return whether the collector is unmarked now (by this, or before it)
     */
    boolean saveRunsRevision(CollectorId collectorId, ConfigVersion revision, Instant at);

    /**
     * Records that a marked collector with nothing published runs nothing but the defaults, and
     * clears its mark, in one transaction; nothing when it is not marked (any more) or an effective
     * revision exists for it by then (published meanwhile: its agent does not hold it).
     *
     * @param collectorId the collector
     * @param at          when that was learnt
     * @return whether the collector is unmarked now (by this, or before it)
     */
    boolean saveRunsNothing(CollectorId collectorId, Instant at);
}
