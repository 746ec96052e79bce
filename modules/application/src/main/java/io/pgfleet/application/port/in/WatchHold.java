package io.pgfleet.application.port.in;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The caller's handle on one held watch ({@link WatchConfigQuery#awaitNewer(io.pgfleet.domain.collector.CollectorId,
 * int, java.time.Duration, WatchHold)}): ending it makes the watch answer at once with what is
 * current, as if its time were up. Lets whoever limits the watches a collector holds make room for a
 * new one by ending the oldest, instead of refusing the new one because of an old one whose client
 * may be gone (a restarted agent's previous connection is held until its time is up).
 */
public final class WatchHold {

    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Runnable wake = () -> { };
    private final Runnable beforeFirstWait;
    private boolean waited;

    /** A hold that nothing needs to know about before the watch waits. */
    public WatchHold() {
        this(() -> { });
    }

    /**
     * A hold that runs {@code beforeFirstWait} when its watch is about to wait for the first time
     * (never when the watch answers at once): where a limit on held watches takes its slot.
     *
     * @param beforeFirstWait run once, on the watch's thread, before it first waits
     */
    public WatchHold(Runnable beforeFirstWait) {
        this.beforeFirstWait = beforeFirstWait;
    }

    /**
     * For the watch's implementation, on its own thread: the watch is about to wait (the first call
     * runs what the hold was made with, later calls nothing).
     */
    public void waiting() {
        if (!waited) {
            waited = true;
            beforeFirstWait.run();
        }
    }

    /**
     * Whether the watch waited (its answer came after a hold, not at once): only then can its caller
     * have changed since its request was checked. On the watch's own thread.
     *
     * @return true once {@link #waiting()} was called
     */
    public boolean waited() {
        return waited;
    }

    /** Ends the watch: it answers at once with what is current. Ending it again does nothing more. */
    public void end() {
        if (ended.compareAndSet(false, true)) {
            wake.run();
        }
    }

    /**
     * Whether {@link #end()} was called.
     *
     * @return true once ended
     */
    public boolean ended() {
        return ended.get();
    }

    /**
     * For the watch's implementation: what ending the hold wakes, its current wait. Run at once when
     * the hold has ended already, so an end that comes between two waits is never missed.
     *
     * @param wakeUp wakes the current wait
     */
    public void wakes(Runnable wakeUp) {
        this.wake = wakeUp;
        if (ended.get()) {
            wakeUp.run();
        }
    }
}
