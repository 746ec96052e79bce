package io.pgfleet.agent.collect;

import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs each enabled collector on its own interval and reschedules it live. A new interval applies
 * from the next tick: the collection in progress is never cut, and the next one comes one new
 * interval after the last one started (or at once, if that moment has passed).
 */
public final class CollectionScheduler implements AutoCloseable {

    private record Running(Duration interval, ScheduledFuture<?> future, AtomicReference<Instant> lastStart) {
    }

    private final ScheduledExecutorService executor;
    private final MetricCollectors collectors;
    private final SampleBuffer buffer;
    private final Consumer<String> log;
    private final Map<CollectorKind, Running> running = new EnumMap<>(CollectorKind.class);
    private final Map<CollectorKind, Instant> lastErrorLog = new EnumMap<>(CollectorKind.class);
    private volatile EffectiveConfig config;

    /**
     * A scheduler.
     *
     * @param collectors what collects
     * @param buffer     where samples go
     * @param log        where problems are reported
     */
    public CollectionScheduler(MetricCollectors collectors, SampleBuffer buffer, Consumer<String> log) {
        this.collectors = collectors;
        this.buffer = buffer;
        this.log = log;
        this.executor = Executors.newScheduledThreadPool(2, Thread.ofPlatform().daemon().name("collector-", 0).factory());
    }

    /**
     * Switches to a configuration: starts, stops and reschedules collectors as it says.
     *
     * @param next               the configuration
     * @param databaseRetargeted whether the monitored database changed: its collectors then run at once
     */
    public synchronized void apply(EffectiveConfig next, boolean databaseRetargeted) {
        this.config = next;
        Instant now = Instant.now();
        for (CollectorKind kind : CollectorKind.values()) {
            EffectiveConfig.Schedule want = next.schedule(kind);
            Running current = running.get(kind);
            if (!want.enabled()) {
                if (current != null) {
                    current.future().cancel(false);
                    running.remove(kind);
                }
                continue;
            }
            boolean restartNow = databaseRetargeted && kind.needsDatabase();
            if (current != null && current.interval().equals(want.interval()) && !restartNow) {
                continue;
            }
            long delay = 0;
            AtomicReference<Instant> lastStart = new AtomicReference<>(Instant.EPOCH);
            if (current != null) {
                current.future().cancel(false);
                lastStart = current.lastStart();
                Instant due = lastStart.get().plus(want.interval());
                delay = restartNow ? 0 : Math.max(0, Duration.between(now, due).toMillis());
            }
            AtomicReference<Instant> starts = lastStart;
            ScheduledFuture<?> f = executor.scheduleAtFixedRate(() -> runOnce(kind, starts), delay,
                    want.interval().toMillis(), TimeUnit.MILLISECONDS);
            running.put(kind, new Running(want.interval(), f, lastStart));
        }
    }

    private void runOnce(CollectorKind kind, AtomicReference<Instant> lastStart) {
        lastStart.set(Instant.now());
        EffectiveConfig c = config;
        try {
            List<Sample> samples = collectors.collect(kind, c);
            buffer.addAll(samples);
        } catch (Exception e) {
            Instant last = lastErrorLog.get(kind);
            if (last == null || last.isBefore(Instant.now().minusSeconds(60))) {
                lastErrorLog.put(kind, Instant.now());
                log.accept(kind.key() + " could not collect: " + e.getMessage());
            }
        } catch (Throwable t) {
            log.accept(kind.key() + " failed: " + t);
        }
    }

    @Override
    public synchronized void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }
}
