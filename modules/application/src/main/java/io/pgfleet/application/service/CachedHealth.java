package io.pgfleet.application.service;

import io.pgfleet.application.port.in.HealthQuery;
import io.pgfleet.application.port.out.CheckDatabasePort;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Readiness from a database check at most once per second, whatever the request rate: load
 * balancers and anonymous callers can poll {@code /observe/health} as fast as they like without
 * each poll costing a query. Concurrent callers of a stale result share the one check in flight.
 *
 * <p>No caller waits for that check longer than {@link #MAX_WAIT}: a database that hangs (rather
 * than refusing connections) may hold the check far longer, and a probe that hangs with it tells a
 * load balancer nothing. Past the wait the answer is "not ready", and the check stays in flight, so
 * a hanging database costs one check at a time, not one per probe.
 */
final class CachedHealth implements HealthQuery {

    /** A result younger than this is answered again. */
    static final long MAX_AGE_NANOS = 1_000_000_000L;

    /**
     * The longest a caller waits for the check: beyond the pool's 5 s wait for a connection, so
     * that a database that is down is reported with the pool's own reason.
     */
    static final Duration MAX_WAIT = Duration.ofSeconds(6);

    private record Checked(long atNanos, Optional<String> problem) {
    }

    private final CheckDatabasePort database;
    private final LongSupplier nanoTime;
    private final Duration maxWait;
    private final Executor checks;
    private volatile Optional<Checked> last = Optional.empty();
    /** The check in flight, or the last one. Guarded by {@code this}. */
    private Optional<CompletableFuture<Checked>> inFlight = Optional.empty();

    CachedHealth(CheckDatabasePort database, LongSupplier nanoTime) {
        this(database, nanoTime, MAX_WAIT, command -> Thread.ofVirtual().name("pgfleet-health-check").start(command));
    }

    /**
     * @param maxWait the longest a caller waits for a check in flight
     * @param checks  where checks run: not on the caller's thread, so that the caller can stop waiting
     */
    CachedHealth(CheckDatabasePort database, LongSupplier nanoTime, Duration maxWait, Executor checks) {
        this.database = database;
        this.nanoTime = nanoTime;
        this.maxWait = maxWait;
        this.checks = checks;
    }

    @Override
    public Optional<String> notReadyBecause() {
        Optional<Checked> c = last;
        if (fresh(c)) {
            return c.get().problem();
        }
        CompletableFuture<Checked> check;
        synchronized (this) {
            c = last;
            if (fresh(c)) {
                return c.get().problem();
            }
            check = inFlight.filter(f -> !f.isDone()).orElseGet(this::startCheck);
        }
        try {
            return check.get(maxWait.toNanos(), TimeUnit.NANOSECONDS).problem();
        } catch (TimeoutException e) {
            return Optional.of("the database has not answered the health check within " + maxWait.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while checking the database");
        } catch (ExecutionException e) {
            return Optional.of("the database check failed: " + e.getCause());
        }
    }

    // Called holding the monitor.
    private CompletableFuture<Checked> startCheck() {
        CompletableFuture<Checked> check = CompletableFuture.supplyAsync(() -> {
            Optional<String> problem;
            try {
                problem = database.checkDatabase();
            } catch (RuntimeException e) {
                problem = Optional.of("the database check failed: " + e);
            }
            Checked done = new Checked(nanoTime.getAsLong(), problem);
            last = Optional.of(done);
            return done;
        }, checks);
        inFlight = Optional.of(check);
        return check;
    }

    private boolean fresh(Optional<Checked> c) {
        return c.isPresent() && nanoTime.getAsLong() - c.get().atNanos() < MAX_AGE_NANOS;
    }
}
