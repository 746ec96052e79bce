package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory view of each collector's effective revision, kept fresh by the announcements of
 * every instance, so that reads and watches of an unchanged configuration cost no query and no
 * merge (effective documents are computed when a layer changes, never when they are read).
 *
 * <p>Correctness does not rest on timing: each announcement raises the collector's "newest known
 * revision", and a cached revision older than that is never served; a resync forgets everything.
 *
 * <p>Readers that miss at the same moment (every watcher of a collector woken by one announcement
 * on an instance that did not make the change) share one database read instead of each making
 * their own; a shared read that began before the newest announcement a reader knows of is not
 * trusted by that reader, which reads again itself.
 *
 * <p>A change through this instance registers the revisions it is about to commit ({@link #expect});
 * a reader that misses a collector such a change holds, knowing of the very revision the change
 * stores (announced by its commit), waits, at most {@link #EXPECTED_WAIT_MILLIS}, for the change's
 * outcome instead of reading the database: the change's own announcements arrive
 * as soon as it commits and wake every watcher of its (possibly 10,000) collectors, while the
 * change still has to hand its revisions to the cache one by one. Nothing uncommitted is served:
 * a waiting reader gets the change's revision only once the change says it committed, and reads
 * the database when the change failed or took longer than the wait.
 *
 * <p>Memory is current only while announcements arrive: while the feed is {@linkplain #interrupted()
 * interrupted} (its connection lost, and maybe refused for long: a database at its connection limit
 * still serves the pool's open connections), every read goes to the database and nothing read is
 * kept, until the feed {@linkplain #resync() resyncs}.
 */
final class EffectiveRevisionCache implements ConfigChangeFeedPort.Listener {

    /** Bounds memory: beyond this many collectors, entries are not added (reads go to the database). */
    static final int MAX_ENTRIES = 100_000;

    private final LoadLayersPort delegate;
    private final ConcurrentHashMap<CollectorId, EffectiveRevision> latest = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CollectorId, Integer> newestKnown = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CollectorId, CompletableFuture<Optional<EffectiveRevision>>> loading =
            new ConcurrentHashMap<>();
    /** Revisions of changes through this instance that are committing, by collector. */
    private final ConcurrentHashMap<CollectorId, Expected> expected = new ConcurrentHashMap<>();
    private volatile long generation;
    /** Whether announcements arrive, so that what memory holds is current (false from an interruption to a resync). */
    private volatile boolean announced = true;

    /**
     * How long a reader waits for a committing change's outcome before it reads the database itself:
     * a reader woken by the change's announcement waits for the change to return from its commit.
     */
    static final long EXPECTED_WAIT_MILLIS = 2_000;

    EffectiveRevisionCache(LoadLayersPort delegate) {
        this.delegate = delegate;
    }

    /**
     * A collector's effective revision, from memory when it is known to be current.
     *
     * @param id the collector
     * @return the revision, or empty when it has none
     */
    Optional<EffectiveRevision> load(CollectorId id) {
        if (!announced) {
            return delegate.loadEffective(id);
        }
        int known = newestKnown.getOrDefault(id, 0);
        EffectiveRevision cached = latest.get(id);
        if (cached != null && cached.revision().value() >= known) {
            return Optional.of(cached);
        }
        Expected change = expected.get(id);
        if (change != null) {
            Optional<EffectiveRevision> committed = change.await(id, known);
            if (committed.isPresent()) {
                return committed;
            }
        }
        CompletableFuture<Optional<EffectiveRevision>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<EffectiveRevision>> running = loading.putIfAbsent(id, mine);
        if (running != null) {
            Optional<EffectiveRevision> shared = join(running);
            if (shared.map(r -> r.revision().value() >= known).orElse(known == 0)) {
                return shared;
            }
            return loadFromDatabase(id);
        }
        try {
            Optional<EffectiveRevision> loaded = loadFromDatabase(id);
            mine.complete(loaded);
            return loaded;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            loading.remove(id, mine);
        }
    }

    /**
     * A collector's effective revision, as {@link #load}, for a caller who has already seen revision
     * {@code seen} (from this instance or another): when memory knows only of an older one, the
     * database is asked, once and on its own (a read shared with one already running may have
     * begun before {@code seen} committed). Memory can be behind in two ways: another instance
     * committed {@code seen} and its announcement has not arrived yet, or the database is older
     * than the caller's revision (restored from a backup). The answer tells them apart, and what
     * it finds is what this instance knows from then on.
     *
     * @param id   the collector
     * @param seen the newest revision the caller has seen
     * @return the revision the database has now (memory's when it is at least {@code seen}), or empty when it has none
     */
    Optional<EffectiveRevision> loadAtLeast(CollectorId id, int seen) {
        if (!announced) {
            return delegate.loadEffective(id);
        }
        int known = newestKnown.getOrDefault(id, 0);
        EffectiveRevision cached = latest.get(id);
        if (cached != null && cached.revision().value() >= Math.max(known, seen)) {
            return Optional.of(cached);
        }
        if (seen <= known) {
            // Memory knows of the caller's revision (or a newer one), only its entry is behind the
            // announcement: every watcher one change wakes is here at once, and they share one read,
            // or wait for the change through this instance to hand over its revisions, as plain reads do.
            return load(id);
        }
        long before = generation;
        Optional<EffectiveRevision> read = delegate.loadEffective(id);
        read.ifPresent(r -> {
            // Committed, so announced to every instance by now or soon: raise the newest known revision as its announcement would.
            newestKnown.merge(id, r.revision().value(), Math::max);
            if (before == generation && latest.size() < MAX_ENTRIES) {
                keep(r);
            }
        });
        return read;
    }

    private static Optional<EffectiveRevision> join(CompletableFuture<Optional<EffectiveRevision>> running) {
        try {
            return running.join();
        } catch (CompletionException e) {
            // The sharing reader's failure (e.g. the database is unreachable) is this reader's too.
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private Optional<EffectiveRevision> loadFromDatabase(CollectorId id) {
        long before = generation;
        Optional<EffectiveRevision> loaded = delegate.loadEffective(id);
        // A resync during the read may have cleared entries the read raced with: do not store then.
        if (loaded.isPresent() && before == generation && latest.size() < MAX_ENTRIES) {
            keep(loaded.get());
        }
        return loaded;
    }

    /**
     * The revision remembered for a collector, without asking the database and without checking it
     * is the newest: for callers to whom an outdated revision is still a sound answer.
     *
     * @param id the collector
     * @return the remembered revision, if any
     */
    Optional<EffectiveRevision> remembered(CollectorId id) {
        return Optional.ofNullable(latest.get(id));
    }

    /**
     * Registers the effective revisions a change through this instance is about to commit (called in
     * its transaction, after it wrote them and before its commit). The change must then say whether
     * it committed, and close the registration once it has {@link #stored} every revision.
     *
     * @param revisions the revisions the change stores, at most one per collector
     * @return the change's registration
     */
    Expected expect(java.util.Collection<EffectiveRevision> revisions) {
        Expected change = new Expected(revisions);
        change.revisions.keySet().forEach(id -> expected.put(id, change));
        return change;
    }

    /**
     * The revisions of one committing change, for readers who miss them in the cache meanwhile.
     * Its outcome is decided once: committed (readers get its revisions) or not (readers read the
     * database).
     */
    final class Expected implements Announcer.Committing {
        private final java.util.Map<CollectorId, EffectiveRevision> revisions;
        private final CompletableFuture<Boolean> outcome = new CompletableFuture<>();

        private Expected(java.util.Collection<EffectiveRevision> revisions) {
            java.util.Map<CollectorId, EffectiveRevision> byId = java.util.HashMap.newHashMap(revisions.size());
            revisions.forEach(r -> byId.put(r.collectorId(), r));
            this.revisions = java.util.Collections.unmodifiableMap(byId);
        }

        /** The change committed: its revisions are the collectors' current ones (or older than an announced one). */
        @Override
        public void committed() {
            outcome.complete(true);
        }

        /**
         * The change is over: its revisions are in the cache (committed) or not to be served (it
         * failed); readers no longer wait for it.
         */
        @Override
        public void close() {
            outcome.complete(false);
            revisions.keySet().forEach(id -> expected.remove(id, this));
        }

        /**
         * The change's revision of a collector, once committed, for a reader who knows of that very
         * revision number (announced by the commit). A reader who knows only of an older one is
         * answered by the database at once (the revision committed so far is a sound answer to it),
         * one who knows of a newer one needs another change's revision.
         */
        private Optional<EffectiveRevision> await(CollectorId id, int known) {
            EffectiveRevision mine = revisions.get(id);
            if (mine == null || mine.revision().value() != known) {
                return Optional.empty();
            }
            try {
                return Boolean.TRUE.equals(outcome.get(EXPECTED_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS))
                        ? Optional.of(mine) : Optional.empty();
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    /** A change through this instance is visible to its next read at once (read your writes). */
    void stored(EffectiveRevision revision) {
        published(revision.collectorId(), revision.revision());
        keep(revision);
    }

    private void keep(EffectiveRevision r) {
        // Same number, newer sources (a layer version that changed nothing) replaces the older entry.
        latest.merge(r.collectorId(), r, (a, b) -> a.revision().compareTo(b.revision()) > 0 ? a : b);
    }

    /** Forgets a collector (decommissioned, or its sources changed without a new number elsewhere). */
    void forget(CollectorId id) {
        // A read that began before the change may be about to store what was current: it must not.
        generation++;
        latest.remove(id);
    }

    /**
     * A decommissioned collector has no live effective document any more (the store no longer reads
     * one), so what is remembered of it must go, on every instance: its {@code GET /config/{id}}
     * answers that it is gone rather than a document merging layers it left. Revocations and users'
     * changes come this way too; forgetting them costs one read from the database.
     */
    @Override
    public void principalChanged(String subject) {
        if (CollectorId.isValid(subject)) {
            forget(CollectorId.of(subject));
        }
    }

    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
        newestKnown.merge(collectorId, version.value(), Math::max);
        EffectiveRevision cached = latest.get(collectorId);
        if (cached != null && cached.revision().value() < version.value()) {
            latest.remove(collectorId, cached);
        }
    }

    @Override
    public void sourcesChanged(CollectorId collectorId, ConfigVersion revision) {
        // A read that began before the change may be about to store the old sources: it must not.
        generation++;
        EffectiveRevision cached = latest.get(collectorId);
        if (cached != null && cached.revision().value() <= revision.value()) {
            latest.remove(collectorId, cached);
        }
    }

    /**
     * No other instance's change is heard until the next resync: forget everything and read the
     * database meanwhile. A read under way must not keep what it found either: it may be stored
     * after a change that this instance will never hear of.
     */
    @Override
    public void interrupted() {
        announced = false;
        generation++;
        latest.clear();
    }

    @Override
    public void resync() {
        generation++;
        latest.clear();
        // After the clearing: what this instance's own changes kept meanwhile may since have been
        // replaced on another instance, unheard.
        announced = true;
    }

    /** What the log calls it (a change-feed listener that fails or recovers is named): words, not a class and hash code. */
    @Override
    public String toString() {
        return "in-memory view of effective revisions";
    }
}
