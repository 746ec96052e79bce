package io.pgfleet.application.port.in;

import io.pgfleet.domain.access.Principal;

/**
 * The held watches of each caller on this instance, so that a change of the caller ends them at
 * once: a collector revoked or decommissioned, a user disabled, demoted or whose password was reset,
 * here or on another instance, or the session its token was issued in ended (a logout, a reused
 * refresh token): then only that session's watches end. An ended watch answers at once, after checking its caller again: a
 * caller no longer accepted gets its 401 or 403 when the change is made, not when the hold would
 * have ended (about a minute later).
 *
 * <p>Nothing is kept of a caller without a held watch.
 */
public interface CallerWatchesUseCase {

    /**
     * How far this instance's news of changed callers had come: taken before a request's caller is
     * checked, and given with its hold to {@link #hold}, so that a change learned between the check
     * and the registration of the hold is not missed.
     *
     * @return the mark
     */
    Mark mark();

    /**
     * Registers a watch's hold under its caller until the registration is closed: a change of the
     * caller {@linkplain WatchHold#end() ends} it. A hold registered after any change that this
     * instance learned since {@code checked} is ended at once (the check may predate the change), so
     * its watch answers at once after checking its caller again.
     *
     * @param caller  who holds the watch, as its request was checked
     * @param session the session its token was issued in, if it names one
     * @param checked the mark taken before that check
     * @param hold    the watch's hold
     * @return the registration, to close when the watch has answered
     */
    Registration hold(Principal caller, java.util.Optional<String> session, Mark checked, WatchHold hold);

    /**
     * A point in this instance's news of changed callers.
     *
     * @param changes how many changes of callers this instance had learned
     */
    record Mark(long changes) {
    }

    /** A hold's registration under its caller. */
    interface Registration extends AutoCloseable {
        /** Removes the hold (closing twice does nothing more). */
        @Override
        void close();
    }
}
