package io.pgfleet.application.service;

import io.pgfleet.application.port.in.CallerWatchesUseCase;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.domain.access.Principal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The held watches on this instance by their caller's subject (a user name or collector id), ended
 * when {@link ActivePrincipals} forgets the subject. An entry exists only while its subject holds a
 * watch.
 *
 * <p>Registering and leaving follow {@link WatchService}'s registrations: many watches of one
 * subject (a benchmark's user) answering at once leave without queueing on the map's lock.
 */
final class HeldWatchesOfCallers implements CallerWatchesUseCase {

    private final AtomicLong changes = new AtomicLong();
    private final ConcurrentHashMap<String, Set<WatchHold>> bySubject = new ConcurrentHashMap<>();

    @Override
    public Mark mark() {
        return new Mark(changes.get());
    }

    @Override
    public Registration hold(Principal caller, Mark checked, WatchHold hold) {
        String subject = caller.subject();
        Set<WatchHold> set = register(subject, hold);
        // Read after the hold is in place: a change counted after this read ends it below or in
        // changed(); one counted before, but after the caller's check, ends it here.
        if (changes.get() != checked.changes()) {
            hold.end();
        }
        return () -> leave(subject, set, hold);
    }

    /**
     * A subject changed (its cached answer is gone already): its held watches end, and a watch whose
     * caller was checked before this and is yet to register ends when it registers.
     *
     * @param subject the user name or collector id
     */
    void changed(String subject) {
        changes.incrementAndGet();
        Set<WatchHold> set = bySubject.get(subject);
        if (set != null) {
            set.forEach(WatchHold::end);
        }
    }

    /** Adds a hold under its subject, again when the set found was being removed meanwhile (see WatchService). */
    private Set<WatchHold> register(String subject, WatchHold hold) {
        while (true) {
            Set<WatchHold> set = bySubject.computeIfAbsent(subject, k -> ConcurrentHashMap.newKeySet());
            set.add(hold);
            if (bySubject.get(subject) == set) {
                return set;
            }
            set.remove(hold);
        }
    }

    private void leave(String subject, Set<WatchHold> set, WatchHold hold) {
        set.remove(hold);
        if (set.isEmpty()) {
            bySubject.computeIfPresent(subject, (k, s) -> s.isEmpty() ? null : s);
        }
    }

    /** Subjects holding at least one watch now (for tests: nothing is kept for the others). */
    int subjects() {
        return bySubject.size();
    }
}
