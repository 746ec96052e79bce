package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The database's clock, as this instance reads it: this host's clock plus how far the database's
 * ({@code clock_timestamp()}) is ahead of it, measured again at most every {@link #REMEASURE}. Every
 * instance on one database then tells the same time, whatever its host's clock says: times one
 * instance stores and another compares with its own now (when a rollout's wave started, against
 * its deadline) mean the same on both.
 *
 * <p>Reading it costs no query but one per {@link #REMEASURE} per instance: the first when it is made
 * (at the server's start), the later ones in the background, started by whichever caller finds the
 * measurement due (every caller meanwhile goes on with the last one). A measurement that fails (the database away)
 * keeps the last one and is tried again after {@link #RETRY}; until the first one succeeds the clock
 * is this host's.
 */
public final class DatabaseClock extends Clock {

    /** How often the difference between the clocks is measured again: clocks drift slowly, or are stepped. */
    static final Duration REMEASURE = Duration.ofSeconds(30);
    /** A difference between the clocks, or a change of it, worth a line in the log. */
    static final Duration NOTEWORTHY = Duration.ofSeconds(1);
    /** How soon a failed measurement is tried again. */
    static final Duration RETRY = Duration.ofSeconds(1);

    private static final System.Logger LOG = System.getLogger(DatabaseClock.class.getName());

    private final DbClient db;
    private final Clock local;
    private final AtomicBoolean measuring = new AtomicBoolean();
    private volatile Duration offset = Duration.ZERO;
    private volatile boolean measured;
    private volatile long nextMeasurement;

    DatabaseClock(DbClient db, Clock local) {
        this.db = db;
        this.local = local;
        // At start, where the database has just answered the migration: the first time told is its own.
        measure();
    }

    @Override
    public Instant instant() {
        if (System.nanoTime() - nextMeasurement >= 0 && measuring.compareAndSet(false, true)) {
            // In the background: a database that hangs must not hold the request (every request reads
            // the time) that found the measurement due.
            Thread.ofVirtual().name("pgfleet-database-clock").start(this::measureOnce);
        }
        return local.instant().plus(offset);
    }

    private void measureOnce() {
        try {
            measure();
        } finally {
            measuring.set(false);
        }
    }

    private void measure() {
        try {
            Instant before = local.instant();
            Instant database = Rows.guard("reading the database's clock", () -> Rows.instant(
                    db.execute().get("SELECT clock_timestamp() AS now").orElseThrow(), "now"));
            Instant after = local.instant();
            // The database read its clock somewhere between the two readings of this host's: the middle
            // is wrong by at most half the round trip. A new difference within that of the last one is
            // no news, and keeping the last one spares the time told a step back of a fraction of a
            // millisecond at every measurement.
            Duration uncertainty = Duration.between(before, after).dividedBy(2);
            Duration difference = Duration.between(before.plus(uncertainty), database);
            if (!measured || difference.minus(offset).abs().compareTo(uncertainty) > 0) {
                if (difference.minus(offset).abs().compareTo(NOTEWORTHY) > 0) {
                    LOG.log(System.Logger.Level.WARNING, "this host's clock is " + difference.abs().toMillis()
                            + " ms " + (difference.isNegative() ? "ahead of" : "behind") + " the database's; the"
                            + " server tells the database's time (retention reads both); keep the clocks in NTP sync");
                }
                offset = difference;
                measured = true;
            }
            nextMeasurement = System.nanoTime() + REMEASURE.toNanos();
        } catch (RuntimeException e) {
            // The database away: nothing that takes this time can be stored either. The last difference
            // stays the best guess.
            nextMeasurement = System.nanoTime() + RETRY.toNanos();
        }
    }

    /**
     * How far the database's clock was ahead of this host's at the last measurement.
     *
     * @return the difference (negative when the database's clock is behind)
     */
    public Duration offset() {
        return offset;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (ZoneOffset.UTC.equals(zone)) {
            return this;
        }
        DatabaseClock same = this;
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return zone;
            }

            @Override
            public Clock withZone(ZoneId other) {
                return same.withZone(other);
            }

            @Override
            public Instant instant() {
                return same.instant();
            }
        };
    }
}
