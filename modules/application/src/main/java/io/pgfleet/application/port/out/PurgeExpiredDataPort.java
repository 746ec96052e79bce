package io.pgfleet.application.port.out;

import java.time.Instant;

/**
 * Deletes rows that outlived their retention, a bounded number at a time so that no delete
 * holds its locks for long. Several server instances may call it at the same time.
 */
public interface PurgeExpiredDataPort {

    /** What retention applies to. */
    enum Kind {
        /**
         * Metric samples of the catch-all partition (days without a partition of their own), by
         * the time they were measured; whole days go through {@link SamplePartitionsPort}.
         */
        SAMPLES,
        /** Batch ids remembered to acknowledge retried pushes, by the time they arrived. */
        SAMPLE_BATCHES,
        /** Refresh tokens, by the time they were used, superseded or expired. */
        REFRESH_TOKENS,
        /** Enrolment tokens, by the time they were used or expired. */
        ENROLMENT_TOKENS,
        /** Registrations' idempotency keys, by the time they were first used. */
        REGISTRATION_KEYS,
        /** Audit entries, by the time of what they record. */
        AUDIT_ENTRIES
    }

    /** Histories whose oldest versions go once a configuration has more than a number of newer ones. */
    enum History {
        /** Collectors' own documents ({@code /api/v1/config/{id}/versions}). */
        OWN_VERSIONS,
        /** The fleet layer and the groups' layers; a version a rollout names is kept. */
        LAYER_VERSIONS
    }

    /**
     * The database's own clock. Ages are measured from the earlier of it and the server's clock, so
     * that one instance whose clock runs far ahead cannot delete what is not yet past retention.
     *
     * @return the database's current time
     * @throws StorageUnavailableException when the database cannot be reached
     */
    Instant databaseNow();

    /**
     * Deletes at most {@code maxRows} rows of one kind older than the cutoff.
     *
     * @param kind    what to delete
     * @param cutoff  rows whose time is before this instant go
     * @param maxRows the most rows this call deletes
     * @return how many rows it deleted; fewer than {@code maxRows} means none is left
     *         (or the rest is being deleted by another instance right now)
     * @throws StorageUnavailableException when the database cannot be reached
     */
    int purge(Kind kind, Instant cutoff, int maxRows);

    /**
     * Deletes at most {@code maxRows} versions that have at least {@code keepNewest} newer versions
     * of the same configuration. The current version of every configuration, and every layer
     * version a rollout names (staged or previous), always stays.
     *
     * @param history    which versions
     * @param keepNewest how many of the newest versions of each configuration stay, at least 1
     * @param maxRows    the most rows this call deletes
     * @return how many it deleted; fewer than {@code maxRows} means none is left
     * @throws StorageUnavailableException when the database cannot be reached
     */
    int purgeHistory(History history, int keepNewest, int maxRows);

    /**
     * Deletes at most {@code maxRollouts} finished rollouts (completed or rolled back) that ended
     * before the cutoff, with their wave plans and timelines. A running or paused rollout stays.
     *
     * @param endedBefore rollouts that ended before this instant go
     * @param maxRollouts the most rollouts this call deletes (each may have thousands of members)
     * @return how many rollouts it deleted
     * @throws StorageUnavailableException when the database cannot be reached
     */
    int purgeFinishedRollouts(Instant endedBefore, int maxRollouts);

    /**
     * Deletes at most {@code maxGroups} groups deleted before the cutoff, each with its layer and
     * every version of it, so that the group's id may be created again. A deleted group whose layer
     * a rollout still names (its record not yet purged) stays until that rollout is gone.
     *
     * @param deletedBefore groups deleted before this instant go
     * @param maxGroups     the most groups this call deletes (each may have many layer versions)
     * @return how many groups it deleted
     * @throws StorageUnavailableException when the database cannot be reached
     */
    int purgeDeletedGroups(Instant deletedBefore, int maxGroups);

    /**
     * Reduces at most {@code maxCollectors} collectors decommissioned before the cutoff to their
     * tombstone: their own versions, effective document, apply status and samples go, and their row
     * stays, cut down to what keeps the id from being bound again (id, name, times, revocation).
     * A collector reduced once is not visited again.
     *
     * @param decommissionedBefore collectors decommissioned before this instant are reduced
     * @param maxCollectors        the most collectors this call reduces (each may have many versions)
     * @return how many collectors it reduced
     * @throws StorageUnavailableException when the database cannot be reached
     */
    int purgeDecommissionedCollectors(Instant decommissionedBefore, int maxCollectors);
}
