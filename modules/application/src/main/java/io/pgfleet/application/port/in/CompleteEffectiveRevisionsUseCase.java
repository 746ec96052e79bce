package io.pgfleet.application.port.in;

/**
 * Completes effective revisions stored without what this release computes with them: the hash of
 * the configuration they mean (against which drift is judged) and its pull interval. The schema
 * migration that introduced layers seeded one per collector from its own document without them.
 * Run at start-up, so the fleet view judges drift by hash for every collector from then on.
 */
public interface CompleteEffectiveRevisionsUseCase {

    /**
     * Completes every incomplete effective revision whose layers give a valid configuration (an
     * invalid one stays as it is: its agent cannot run it either).
     *
     * @return how many collectors' revisions were completed or brought up to date
     */
    int completeEffectiveRevisions();
}
