package io.pgfleet.application.service;

import io.pgfleet.application.port.in.CallerWatchesUseCase;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.domain.access.Principal;

import java.util.Optional;
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

    /** A hold and the session of the token that holds it. */
    private record Held(Optional<String> session, WatchHold hold) {
    }

    private final AtomicLong changes = new AtomicLong();
    private final Registrations<String, Held> bySubject = new Registrations<>();

    @Override
    public Mark mark() {
        return new Mark(changes.get());
    }

    @Override
    public Registration hold(Principal caller, Optional<String> session, Mark checked, WatchHold hold) {
        String subject = caller.subject();
        Held held = new Held(session, hold);
        Set<Held> set = bySubject.register(subject, held);
        // Read after the hold is in place: a change counted after this read ends it below or in
        // changed(); one counted before, but after the caller's check, ends it here.
        if (changes.get() != checked.changes()) {
            hold.end();
        }
        return () -> bySubject.leave(subject, set, held);
    }

    /**
     * A subject changed (its cached answer is gone already): its held watches end, and a watch whose
     * caller was checked before this and is yet to register ends when it registers.
     *
     * @param subject the user name or collector id
     */
    void changed(String subject) {
        changes.incrementAndGet();
        bySubject.forEach(subject, h -> h.hold().end());
    }

    /**
     * One session of a subject ended: the watches held with its tokens end, the subject's other
     * sessions' go on. A watch checked before this and yet to register ends when it registers,
     * whoever's it is (it cannot be told apart in time; it only checks again).
     *
     * @param subject the user name or collector id
     * @param session the session
     */
    void sessionEnded(String subject, String session) {
        changes.incrementAndGet();
        bySubject.forEach(subject, h -> {
            if (h.session().filter(session::equals).isPresent()) {
                h.hold().end();
            }
        });
    }

    /** Subjects holding at least one watch now (for tests: nothing is kept for the others). */
    int subjects() {
        return bySubject.keys();
    }
}
