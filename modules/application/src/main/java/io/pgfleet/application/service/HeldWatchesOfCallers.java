package io.pgfleet.application.service;

import io.pgfleet.application.port.in.CallerWatchesUseCase;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.domain.access.Principal;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The held watches on this instance by their caller's subject (a user name or collector id), ended
 * when {@link ActivePrincipals} forgets the subject. An entry exists only while its subject holds a
 * watch.
 *
 * <p>Kept in {@link Registrations}, as {@link WatchService} keeps its watchers: many watches of one
 * subject (a benchmark's user) answering at once leave without queueing on the map's lock.
 */
final class HeldWatchesOfCallers implements CallerWatchesUseCase {

    private final AtomicLong changes = new AtomicLong();
    private final Registrations<String, WatchHold> bySubject = new Registrations<>();

    @Override
    public Mark mark() {
        return new Mark(changes.get());
    }

    @Override
    public Registration hold(Principal caller, Mark checked, WatchHold hold) {
        String subject = caller.subject();
        Set<WatchHold> set = bySubject.register(subject, hold);
        // Read after the hold is in place: a change counted after this read ends it below or in
        // changed(); one counted before, but after the caller's check, ends it here.
        if (changes.get() != checked.changes()) {
            hold.end();
        }
        return () -> bySubject.leave(subject, set, hold);
    }

    /**
     * A subject changed (its cached answer is gone already): its held watches end, and a watch whose
     * caller was checked before this and is yet to register ends when it registers.
     *
     * @param subject the user name or collector id
     */
    void changed(String subject) {
        changes.incrementAndGet();
        bySubject.forEach(subject, WatchHold::end);
    }

    /** Subjects holding at least one watch now (for tests: nothing is kept for the others). */
    int subjects() {
        return bySubject.keys();
    }
}
