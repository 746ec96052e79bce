package io.pgfleet.bench.fleet;

import io.pgfleet.agent.core.Scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Real time for thousands of agent cores in one JVM: one small timer pool for all of them, and
 * the work itself on virtual threads (a held watch blocks a virtual thread, not a platform one).
 * Each core gets its own {@link Lanes}, which keep the {@link Scheduler} promise that work of one
 * lane never overlaps.
 */
final class SharedScheduler implements AutoCloseable {

    private final Clock clock = Clock.systemUTC();
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2,
            Thread.ofPlatform().daemon().name("fleet-timer-", 0).factory());
    private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean closed;

    /**
     * One core's scheduler.
     *
     * @return its lanes
     */
    Lanes lanes() {
        return new Lanes();
    }

    /** The {@link Scheduler} of one core. */
    final class Lanes implements Scheduler {
        private final ReentrantLock[] locks = {new ReentrantLock(), new ReentrantLock(), new ReentrantLock()};

        @Override
        public Instant now() {
            return clock.instant();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Task schedule(Lane lane, Duration delay, Runnable task) {
            if (closed) {
                return () -> { };
            }
            ReentrantLock lock = locks[lane.ordinal()];
            Runnable run = () -> {
                lock.lock();
                try {
                    task.run();
                } catch (RuntimeException e) {
                    System.err.println("fleet: unexpected failure on the " + lane + " lane: " + e);
                } finally {
                    lock.unlock();
                }
            };
            ScheduledFuture<?> f = timer.schedule(() -> {
                if (!closed) {
                    work.execute(run);
                }
            }, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
            return () -> f.cancel(false);
        }
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        work.shutdownNow();
    }
}
