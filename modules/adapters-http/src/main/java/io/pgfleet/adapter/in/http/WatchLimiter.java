package io.pgfleet.adapter.in.http;

import io.pgfleet.application.port.in.WatchHold;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the long-poll watches each collector principal holds on this instance. An agent needs one;
 * a few more cover restarts. A stolen or buggy collector credential cannot pin thousands of
 * connections.
 *
 * <p>At the limit a new watch is not refused: the collector's <em>oldest</em> watch is ended (it
 * answers at once with what is current, as at its deadline) and the new one takes its place. The
 * server cannot tell a held watch whose client is gone from a live one until it writes to it, and a
 * restarted agent's earlier connections stay held until their time is up (about a minute): refusing
 * the newest watch would keep the live agent from watching for that long while the dead ones hold
 * the slots.
 */
final class WatchLimiter {

    private final int perCollector;
    /** Each collector's held watches, oldest first; at most {@link #perCollector} each. */
    private final ConcurrentHashMap<String, ArrayDeque<WatchHold>> held = new ConcurrentHashMap<>();

    WatchLimiter(int perCollector) {
        this.perCollector = perCollector;
    }

    /**
     * A hold for a new watch of the collector. Its slot is taken when the watch is about to wait
     * (a watch answered at once takes none), ending the collector's oldest watch first when it holds
     * its maximum already.
     *
     * @param collector the collector principal
     * @return the new watch's hold, to be given back with {@link #release}
     */
    WatchHold hold(String collector) {
        WatchHold[] mine = {null};
        mine[0] = new WatchHold(() -> take(collector, mine[0]));
        return mine[0];
    }

    private void take(String collector, WatchHold mine) {
        WatchHold[] oldest = {null};
        held.compute(collector, (k, holds) -> {
            ArrayDeque<WatchHold> d = holds == null ? new ArrayDeque<>() : holds;
            if (d.size() >= perCollector) {
                oldest[0] = d.pollFirst();
            }
            d.addLast(mine);
            return d;
        });
        if (oldest[0] != null) {
            oldest[0].end();
        }
    }

    /** Gives a slot back (nothing when the watch never waited, or was ended to make room: its slot is taken already). */
    void release(String collector, WatchHold hold) {
        held.computeIfPresent(collector, (k, d) -> {
            d.remove(hold);
            return d.isEmpty() ? null : d;
        });
    }

    /** The watches a collector holds now (for tests). */
    int held(String collector) {
        ArrayDeque<WatchHold> d = held.get(collector);
        return d == null ? 0 : d.size();
    }
}
