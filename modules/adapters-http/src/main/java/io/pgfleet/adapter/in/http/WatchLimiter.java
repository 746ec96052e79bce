package io.pgfleet.adapter.in.http;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the long-poll watches each collector principal holds on this instance. An agent needs one;
 * a few more cover restarts whose old connection has not timed out yet. A stolen or buggy
 * collector credential cannot pin thousands of connections.
 */
final class WatchLimiter {

    private final int perCollector;
    private final ConcurrentHashMap<String, Integer> held = new ConcurrentHashMap<>();

    WatchLimiter(int perCollector) {
        this.perCollector = perCollector;
    }

    /** Takes a slot, or returns false when the collector already holds its maximum. */
    boolean tryAcquire(String collector) {
        boolean[] taken = {false};
        held.compute(collector, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= perCollector) {
                return n;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    /** Gives a slot back. */
    void release(String collector) {
        held.computeIfPresent(collector, (k, n) -> n <= 1 ? null : n - 1);
    }

    int limit() {
        return perCollector;
    }
}
