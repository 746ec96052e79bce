package io.pgfleet.application.port.out;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

/**
 * Announces published versions, and changes of who may call, from every server instance
 * (PostgreSQL LISTEN/NOTIFY).
 */
public interface ConfigChangeFeedPort {

    /**
     * Starts delivering announcements to a listener.
     *
     * @param listener what to tell
     */
    void subscribe(Listener listener);

    /**
     * Receives announcements.
     *
     * <p>A listener that throws (on an announcement, or when told to {@link #resync()}) is handled, for
     * itself alone, as if the connection had been lost: it is told {@link #interrupted()} at once
     * (whatever a failed resync did half is not trusted), hears no announcement until it resyncs, and
     * is told to resync again later, less and less often. The other listeners go on hearing every
     * announcement.
     */
    interface Listener {
        /**
         * A version was published (here or on another instance).
         *
         * @param collectorId the collector
         * @param version     the new version
         */
        void published(CollectorId collectorId, ConfigVersion version);

        /**
         * A version of a collector's own document was published (by any server, including one of the
         * previous release, which knows nothing of effective revisions). The default does nothing.
         *
         * @param collectorId the collector
         * @param version     the own version
         */
        default void ownVersionPublished(CollectorId collectorId, ConfigVersion version) {
        }

        /**
         * A collector's effective revision kept its number and document but names other layer
         * versions as its sources (a layer change that left its configuration as it was): nothing
         * to apply, so watchers are not woken, but what is remembered of its sources is stale.
         * The default does nothing.
         *
         * @param collectorId the collector
         * @param revision    the effective revision whose sources changed
         */
        default void sourcesChanged(CollectorId collectorId, ConfigVersion revision) {
        }

        /**
         * A user or collector changed in a way that may end its access (here or on another
         * instance): a collector revoked or decommissioned, a user updated (disabled, demoted, its
         * password reset). Announced in the transaction that made the change. The default does nothing.
         *
         * @param subject the user name or collector id
         */
        default void principalChanged(String subject) {
        }

        /**
         * One session of a user or collector ended (here or on another instance): logged out, or
         * its refresh token presented by a second holder. Its access tokens end; the subject's
         * other sessions go on. Announced in the transaction that ended it. The default does nothing.
         *
         * @param subject the user name or collector id
         * @param session the session (its refresh-token family)
         */
        default void sessionEnded(String subject, String session) {
        }

        /**
         * Announcements stopped arriving (the feed lost its connection and is making it again, or has
         * not made it yet): until the next {@link #resync()}, no instance's change is announced here,
         * so nothing remembered may be taken for current. Told at each outage, at subscription when
         * the feed is not connected then, and after a failure of this listener's own (see above); it
         * may be told again before the next {@link #resync()}, which must change nothing more. The
         * default does nothing.
         */
        default void interrupted() {
        }

        /**
         * Announcements arrive (again): the feed (re)connected, and announcements may have been
         * missed meanwhile: re-check everything.
         */
        void resync();
    }
}
