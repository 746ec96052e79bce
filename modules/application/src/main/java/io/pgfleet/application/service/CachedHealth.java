package io.pgfleet.application.service;

import io.pgfleet.application.port.in.HealthQuery;
import io.pgfleet.application.port.out.CheckDatabasePort;

import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Readiness from a database check at most once per second, whatever the request rate: load
 * balancers and anonymous callers can poll {@code /observe/health} as fast as they like without
 * each poll costing a query. Concurrent callers of a stale result wait for the one check in flight.
 */
final class CachedHealth implements HealthQuery {

    /** A result younger than this is answered again. */
    static final long MAX_AGE_NANOS = 1_000_000_000L;

    private record Checked(long atNanos, Optional<String> problem) {
    }

    private final CheckDatabasePort database;
    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Checked last;

    CachedHealth(CheckDatabasePort database, LongSupplier nanoTime) {
        this.database = database;
        this.nanoTime = nanoTime;
    }

    @Override
    public Optional<String> notReadyBecause() {
        Checked c = last;
        if (fresh(c)) {
            return c.problem();
        }
        lock.lock();
        try {
            c = last;
            if (fresh(c)) {
                return c.problem();
            }
            Optional<String> problem = database.checkDatabase();
            last = new Checked(nanoTime.getAsLong(), problem);
            return problem;
        } finally {
            lock.unlock();
        }
    }

    private boolean fresh(Checked c) {
        return c != null && nanoTime.getAsLong() - c.atNanos() < MAX_AGE_NANOS;
    }
}
