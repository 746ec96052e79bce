package io.pgfleet.application.service;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ends held watches at their deadline from one sweeper thread, so that a held watch parks without a
 * time-out of its own. A virtual thread's timed wait schedules a timer task in the JDK's delay
 * queue (one lock on JDK 21, the scheduler's delay thread on JDK 25) and cancels it when woken: one
 * change waking a thousand watchers cancelled a thousand tasks, on the path of their answers. Here a
 * watch is filed under the tick (of
 * {@link #TICK}) after its deadline, and the sweeper, once per tick, releases the watches of every
 * tick that has passed. A watch is never released before its deadline, and at most one tick (plus
 * the sweeper's scheduling) after it.
 *
 * <p>The sweeper runs only while watches are held (waking once per tick): it stops when none is
 * filed and the next {@link #add} starts it again.
 */
final class WatchDeadlines {

    /** The sweeper's period: how late past its deadline a held watch may end (docs/watch.md). */
    static final Duration TICK = Duration.ofMillis(50);

    /** One held watch: released by a change of its collector, or by the sweeper at its deadline. */
    static final class Waiter {
        private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        private final long deadline;
        private volatile boolean expired;
        /** The set it was filed in: taking it off is one remove, with no look-up of its tick. */
        private Set<Waiter> bucket;

        Waiter(long deadlineNanos) {
            this.deadline = deadlineNanos;
        }

        /** Releases the watch because its collector changed. */
        void wake() {
            released.countDown();
        }

        private void expire() {
            expired = true;
            released.countDown();
        }

        /**
         * Waits, without a time-out, until woken or expired.
         *
         * @return true when woken by a change, false when the deadline passed
         */
        boolean await() throws InterruptedException {
            released.await();
            return !expired;
        }
    }

    private final long tickNanos;
    private final long origin = System.nanoTime();
    /** Held watches by the tick after their deadline. */
    private final ConcurrentSkipListMap<Long, Set<Waiter>> byTick = new ConcurrentSkipListMap<>();
    private final AtomicBoolean sweeping = new AtomicBoolean();

    WatchDeadlines() {
        this(TICK);
    }

    WatchDeadlines(Duration tick) {
        this.tickNanos = tick.toNanos();
    }

    /**
     * Files a watch under its deadline. The tick's set found may be the one the sweeper is taking
     * at this moment; a watch added to it might not be seen. So the filing counts only when the set
     * is still the tick's after the add (the sweeper removes a set before it releases its watches):
     * otherwise it is made again, and the sweeper's next pass finds it.
     */
    void add(Waiter waiter) {
        long tick = Math.floorDiv(waiter.deadline - origin, tickNanos) + 1;
        while (true) {
            Set<Waiter> set = byTick.computeIfAbsent(tick, k -> ConcurrentHashMap.newKeySet());
            set.add(waiter);
            if (byTick.get(tick) == set) {
                waiter.bucket = set;
                break;
            }
            set.remove(waiter);
        }
        if (!sweeping.get() && sweeping.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("pgfleet-watch-deadlines").start(this::sweep);
        }
    }

    /**
     * Takes a released watch off its tick, on the path of every woken watcher: one remove from the
     * set it was filed in (the tick's set itself is dropped by the sweeper when due).
     */
    void remove(Waiter waiter) {
        waiter.bucket.remove(waiter);
    }

    /** Watches filed now (for tests). */
    int filed() {
        return byTick.values().stream().mapToInt(Set::size).sum();
    }

    private void sweep() {
        while (true) {
            long now = Math.floorDiv(System.nanoTime() - origin, tickNanos);
            Map.Entry<Long, Set<Waiter>> due;
            while ((due = byTick.firstEntry()) != null && due.getKey() <= now) {
                if (byTick.remove(due.getKey(), due.getValue())) {
                    due.getValue().forEach(Waiter::expire);
                }
            }
            if (byTick.isEmpty()) {
                sweeping.set(false);
                // A watch filed between the look and the flag would otherwise wait for no sweeper.
                if (byTick.isEmpty() || !sweeping.compareAndSet(false, true)) {
                    return;
                }
            }
            long nextTick = (now + 1) * tickNanos + origin;
            long sleep = Math.max(nextTick - System.nanoTime(), 1);
            try {
                TimeUnit.NANOSECONDS.sleep(sleep);
            } catch (InterruptedException e) {
                sweeping.set(false);
                return;
            }
        }
    }
}
