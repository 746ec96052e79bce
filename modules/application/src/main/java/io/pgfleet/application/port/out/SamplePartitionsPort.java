package io.pgfleet.application.port.out;

import java.time.Instant;
import java.time.LocalDate;

/**
 * The samples table's days: each day (UTC) of samples is a partition of its own, created ahead of
 * time and dropped whole when it is past retention. Several server instances may call it at the
 * same time.
 */
public interface SamplePartitionsPort {

    /**
     * What one drop removed.
     *
     * @param partitions days dropped
     * @param samples    samples they held
     */
    record Dropped(int partitions, long samples) {
    }

    /**
     * Creates the missing days of a range; samples of those days that arrived before their day
     * existed move into it.
     *
     * @param from  the first day (UTC)
     * @param until the last day (UTC), inclusive
     * @return how many days were created
     * @throws StorageUnavailableException when the database cannot be reached
     */
    int createDays(LocalDate from, LocalDate until);

    /**
     * Drops the days whose every sample is older than the cutoff. Never the day the database's
     * clock is in nor the one before it, whatever the cutoff says (a server clock far ahead must
     * not drop what is being written).
     *
     * @param cutoff samples before this instant are past retention
     * @return what was dropped
     * @throws StorageUnavailableException when the database cannot be reached
     */
    Dropped dropDaysBefore(Instant cutoff);
}
