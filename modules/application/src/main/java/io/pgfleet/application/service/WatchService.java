package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.WatchConfigQuery;
import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watchers wait on a latch per request, registered under their collector; a publish announcement
 * (from any instance) releases the collector's watchers, a resync releases everyone. A released
 * watcher re-reads the latest version, so a missed or duplicated announcement costs a read, never
 * a lost change.
 */
final class WatchService implements WatchConfigQuery, ConfigChangeFeedPort.Listener {

    private final GetConfigQuery query;
    private final ConcurrentHashMap<CollectorId, Set<CountDownLatch>> watchers = new ConcurrentHashMap<>();

    WatchService(GetConfigQuery query) {
        this.query = query;
    }

    @Override
    public ConfigLookup awaitNewer(CollectorId collectorId, int afterVersion, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            CountDownLatch latch = new CountDownLatch(1);
            // Register before reading, so a publish between the read and the wait still wakes us.
            Set<CountDownLatch> set = watchers.computeIfAbsent(collectorId, k -> ConcurrentHashMap.newKeySet());
            set.add(latch);
            try {
                ConfigLookup now = query.latest(collectorId);
                boolean newer = now instanceof ConfigLookup.Found found && found.revision().version().value() > afterVersion;
                if (newer || now instanceof ConfigLookup.CollectorNotFound) {
                    return now;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !latch.await(left, TimeUnit.NANOSECONDS)) {
                    return now;
                }
            } finally {
                set.remove(latch);
                watchers.computeIfPresent(collectorId, (k, s) -> s.isEmpty() ? null : s);
            }
        }
    }

    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
        Set<CountDownLatch> set = watchers.get(collectorId);
        if (set != null) {
            set.forEach(CountDownLatch::countDown);
        }
    }

    @Override
    public void resync() {
        watchers.values().forEach(s -> s.forEach(CountDownLatch::countDown));
    }
}
