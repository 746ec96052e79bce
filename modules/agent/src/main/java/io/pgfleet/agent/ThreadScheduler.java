package io.pgfleet.agent;

import io.pgfleet.agent.core.Scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The core's scheduler on real time: one daemon thread per lane, so a held watch never delays a
 * push or a collection, and a database that does not answer never delays the host's collectors.
 */
final class ThreadScheduler implements Scheduler, AutoCloseable {

    private final Clock clock = Clock.systemUTC();
    private final Map<Lane, ScheduledExecutorService> lanes = new EnumMap<>(Lane.class);

    ThreadScheduler() {
        for (Lane lane : Lane.values()) {
            lanes.put(lane, Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("agent-" + lane.name().toLowerCase(java.util.Locale.ROOT)).factory()));
        }
    }

    @Override
    public Instant now() {
        return clock.instant();
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Task schedule(Lane lane, Duration delay, Runnable work) {
        ScheduledExecutorService executor = lanes.get(lane);
        if (executor.isShutdown()) {
            return () -> { };
        }
        ScheduledFuture<?> f = executor.schedule(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                // The core catches its own failures; this keeps a lane alive whatever happens.
                System.err.println("pgfleet-agent: unexpected failure on the " + lane + " lane: " + e);
            }
        }, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    /** Stops every lane; a held watch is interrupted. */
    @Override
    public void close() {
        lanes.values().forEach(ScheduledExecutorService::shutdownNow);
        for (ScheduledExecutorService e : lanes.values()) {
            try {
                e.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
