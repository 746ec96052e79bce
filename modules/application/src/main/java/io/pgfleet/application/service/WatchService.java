package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.WatchConfigQuery;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.time.Duration;
import java.util.Set;

/**
 * Watchers wait on a {@link WatchDeadlines.Waiter} per request, registered under their collector; a publish announcement
 * (from any instance) releases the collector's watchers, a resync releases everyone. A released
 * watcher re-reads the latest version, so a missed or duplicated announcement costs a read, never
 * a lost change.
 *
 * <p>What a woken watcher does is kept small, since one change wakes all the watchers of a
 * collector at the same moment: it leaves its registration without taking the map's lock (only
 * the last one to leave removes the collector's entry), and reads the answer without registering
 * again; it registers again only when that read finds nothing newer (a spurious wake-up). A held
 * watcher parks without a time-out: its deadline is kept by the instance's one sweeper
 * ({@link WatchDeadlines}), so waking it cancels no timer. Its caller may end it early through its
 * {@link WatchHold} (to make room for a newer watch of the same collector): it then answers with what
 * is current, as at its deadline: what it read at its start while announcements arrived throughout,
 * read again once they stopped during the hold (a change elsewhere woke nobody then).
 */
final class WatchService implements WatchConfigQuery, ConfigChangeFeedPort.Listener {

    private final LatestAfter query;
    private final Registrations<CollectorId, WatchDeadlines.Waiter> watchers = new Registrations<>();
    private final WatchDeadlines deadlines;
    /**
     * Whether announcements arrive (false from the feed's interruption to its resync), and how many
     * interruptions there were: a hold that ends without a wake-up while announcements arrived
     * throughout missed no change, and answers what it read at its start. Reading again there would
     * cost a collector with nothing published (which memory does not hold) its database reads twice
     * a hold, on every instance, for nothing.
     */
    private volatile boolean announced = true;
    private final java.util.concurrent.atomic.AtomicLong interruptions = new java.util.concurrent.atomic.AtomicLong();

    /** Over reads that go to the database every time (their answer is never behind it). */
    WatchService(GetConfigQuery query) {
        this(LatestAfter.fromDatabase(query), new WatchDeadlines());
    }

    /** Over reads that may come from memory. */
    WatchService(EffectiveConfigService query) {
        this((LatestAfter) query, new WatchDeadlines());
    }

    WatchService(GetConfigQuery query, WatchDeadlines deadlines) {
        this(LatestAfter.fromDatabase(query), deadlines);
    }

    WatchService(LatestAfter query, WatchDeadlines deadlines) {
        this.query = query;
        this.deadlines = deadlines;
    }

    @Override
    public ConfigLookup awaitNewer(CollectorId collectorId, int afterVersion, Duration wait, WatchHold hold)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            WatchDeadlines.Waiter waiter = new WatchDeadlines.Waiter(deadline);
            hold.wakes(waiter::wake);
            // Register before reading, so a publish between the read and the wait still wakes us.
            Set<WatchDeadlines.Waiter> set = watchers.register(collectorId, waiter);
            long interruptedBefore = interruptions.get();
            try {
                ConfigLookup now = query.latest(collectorId, afterVersion);
                if (answers(now, afterVersion) || hold.ended()) {
                    return now;
                }
                if (deadline - System.nanoTime() <= 0) {
                    return now;
                }
                hold.waiting();
                if (hold.ended() || !held(waiter)) {
                    // Ended without a wake-up: while announcements arrived throughout, what was read at the
                    // start is current (a change would have woken it). Once they did not (the feed's
                    // connection lost, now or during the hold), a change made on another instance woke
                    // nobody, and reading again, from the database then, is how the watch still learns of it.
                    boolean missed = !announced || interruptions.get() != interruptedBefore;
                    return missed ? query.latest(collectorId, afterVersion) : now;
                }
            } finally {
                watchers.leave(collectorId, set, waiter);
            }
            // Woken: the change is most likely there; look without registering again.
            ConfigLookup now = query.latest(collectorId, afterVersion);
            if (answers(now, afterVersion) || hold.ended() || deadline - System.nanoTime() <= 0) {
                return now;
            }
        }
    }

    /** Waits until woken (true) or until the sweeper ends the hold at its deadline (false). */
    private boolean held(WatchDeadlines.Waiter waiter) throws InterruptedException {
        deadlines.add(waiter);
        try {
            return waiter.await();
        } finally {
            deadlines.remove(waiter);
        }
    }

    /**
     * Whether the watch answers now: a revision newer than the caller's, or an older one. An older
     * one comes from the database ({@link LatestAfter} reads it when memory is behind the caller),
     * so the caller's revision is not in the database's history (it was restored from an older
     * backup): waiting would hold the caller until the history caught up with its number, and it
     * would miss every revision published meanwhile.
     */
    private static boolean answers(ConfigLookup now, int afterVersion) {
        return now instanceof ConfigLookup.Found found && found.revision().version().value() != afterVersion
                || now instanceof ConfigLookup.CollectorNotFound || now instanceof ConfigLookup.Decommissioned;
    }

    /** Collectors with at least one registered watcher now (for tests: nothing is kept for collectors no one watches). */
    int watchedCollectors() {
        return watchers.keys();
    }

    /** Watchers registered under one collector now (for tests). */
    int registeredWatchers(CollectorId collectorId) {
        return watchers.values(collectorId);
    }

    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
        watchers.forEach(collectorId, WatchDeadlines.Waiter::wake);
    }

    /**
     * A collector decommissioned (or revoked): watches of its configuration look again, so that one
     * held by an operator answers at once that it is gone (a revoked one finds nothing new and waits on).
     */
    @Override
    public void principalChanged(String subject) {
        if (CollectorId.isValid(subject)) {
            watchers.forEach(CollectorId.of(subject), WatchDeadlines.Waiter::wake);
        }
    }

    @Override
    public void interrupted() {
        interruptions.incrementAndGet();
        announced = false;
    }

    @Override
    public void resync() {
        announced = true;
        watchers.forEach(WatchDeadlines.Waiter::wake);
    }

    /** What the log calls it (a change-feed listener that fails or recovers is named): words, not a class and hash code. */
    @Override
    public String toString() {
        return "held watches";
    }
}
