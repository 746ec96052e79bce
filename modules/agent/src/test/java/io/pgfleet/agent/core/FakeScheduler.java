package io.pgfleet.agent.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** A scheduler on fake time: nothing runs until the test advances the clock. */
final class FakeScheduler implements Scheduler {

    private record Entry(Instant due, long seq, Lane lane, Runnable work, boolean[] cancelled) {
    }

    private final PriorityQueue<Entry> queue = new PriorityQueue<>(
            Comparator.comparing(Entry::due).thenComparingLong(Entry::seq));
    private final List<Duration> pullDelays = new ArrayList<>();
    /** What tasks threw: kept, like a ScheduledExecutorService keeps it in the task's future, and not rethrown. */
    final List<Throwable> uncaught = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");
    /** The monotonic time the timers run on; the wall clock is this plus {@link #wallOffset}. */
    private Instant now = ORIGIN;
    private long seq;

    /** How far the wall clock is from the monotonic time the timers run on (an NTP step, say). */
    private Duration wallOffset = Duration.ZERO;

    @Override
    public synchronized Instant now() {
        return now.plus(wallOffset);
    }

    /** The monotonic clock: the timers' time, which a step of the wall clock does not move. */
    @Override
    public synchronized long nanoTime() {
        return Duration.between(ORIGIN, now).toNanos();
    }

    /** Steps the wall clock ({@link #now()}) without moving the timers, as a real clock step does. */
    synchronized void stepWallClock(Duration d) {
        wallOffset = wallOffset.plus(d);
    }

    /**
     * Lets time pass inside a running task, as a held watch does: the other lanes go on meanwhile
     * (work of the caller's lane waits, as it would behind the blocked thread).
     */
    void advance(Duration d, Lane busy) {
        Instant end;
        synchronized (this) {
            end = now.plus(d);
        }
        while (true) {
            Entry next;
            synchronized (this) {
                next = queue.stream().filter(e -> e.lane() != busy && !e.due().isAfter(end))
                        .min(Comparator.comparing(Entry::due).thenComparingLong(Entry::seq)).orElse(null);
                if (next == null) {
                    now = end;
                    return;
                }
                queue.remove(next);
                if (next.due().isAfter(now)) {
                    now = next.due();
                }
            }
            if (!next.cancelled()[0]) {
                run(next.work());
            }
        }
    }

    @Override
    public synchronized Task schedule(Lane lane, Duration delay, Runnable work) {
        if (lane == Lane.PULL) {
            pullDelays.add(delay);
        }
        boolean[] cancelled = {false};
        queue.add(new Entry(now.plus(delay), seq++, lane, work, cancelled));
        return () -> cancelled[0] = true;
    }

    /** The delays the core chose between pulls, in order. */
    synchronized List<Duration> pullDelays() {
        return List.copyOf(pullDelays);
    }

    /** Runs everything due within the next {@code d}, in time order, then sets the clock to the end. */
    void runFor(Duration d) {
        Instant end;
        synchronized (this) {
            end = now.plus(d);
        }
        while (true) {
            Entry e;
            synchronized (this) {
                e = queue.peek();
                if (e == null || e.due().isAfter(end)) {
                    now = end.isAfter(now) ? end : now;
                    return;
                }
                queue.poll();
                if (e.due().isAfter(now)) {
                    now = e.due();
                }
            }
            if (!e.cancelled()[0]) {
                run(e.work());
            }
        }
    }

    private void run(Runnable work) {
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            uncaught.add(e);
        }
    }
}
