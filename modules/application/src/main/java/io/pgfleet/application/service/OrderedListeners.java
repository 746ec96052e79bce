package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.util.List;

/**
 * Hands each announcement to several listeners in a fixed order, so that the order is stated
 * where the listeners are built rather than implied by the order of subscriptions.
 *
 * <p>One listener's failure does not keep the next ones from hearing an announcement, nor from being
 * told that announcements stopped: each is called on its own, and the first failure is thrown once
 * all were, so that the feed handles the whole group as failed (told {@link #interrupted()}, resynced
 * later) and nothing in it stays stale. A listener that fails on an announcement is told
 * {@link #interrupted()} before the next one hears it: what it remembers may have missed the
 * announcement, and the next ones (the watchers the cache comes before) may read it at once.
 */
final class OrderedListeners implements ConfigChangeFeedPort.Listener {

    private final ConfigChangeFeedPort.Listener[] listeners;

    OrderedListeners(List<ConfigChangeFeedPort.Listener> listeners) {
        this.listeners = listeners.toArray(ConfigChangeFeedPort.Listener[]::new);
        for (ConfigChangeFeedPort.Listener l : this.listeners) {
            java.util.Objects.requireNonNull(l, "listener");
        }
    }

    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
        // Spelled out rather than through a shared helper taking a lambda: this is the path of every
        // announcement, and it allocates nothing.
        Throwable failure = null;
        for (ConfigChangeFeedPort.Listener l : listeners) {
            try {
                l.published(collectorId, version);
            } catch (RuntimeException | Error e) {
                failure = failedOnAnnouncement(l, e, failure);
            }
        }
        rethrow(failure);
    }

    @Override
    public void ownVersionPublished(CollectorId collectorId, ConfigVersion version) {
        Throwable failure = null;
        for (ConfigChangeFeedPort.Listener l : listeners) {
            try {
                l.ownVersionPublished(collectorId, version);
            } catch (RuntimeException | Error e) {
                failure = failedOnAnnouncement(l, e, failure);
            }
        }
        rethrow(failure);
    }

    @Override
    public void sourcesChanged(CollectorId collectorId, ConfigVersion revision) {
        Throwable failure = null;
        for (ConfigChangeFeedPort.Listener l : listeners) {
            try {
                l.sourcesChanged(collectorId, revision);
            } catch (RuntimeException | Error e) {
                failure = failedOnAnnouncement(l, e, failure);
            }
        }
        rethrow(failure);
    }

    @Override
    public void principalChanged(String subject) {
        Throwable failure = null;
        for (ConfigChangeFeedPort.Listener l : listeners) {
            try {
                l.principalChanged(subject);
            } catch (RuntimeException | Error e) {
                failure = failedOnAnnouncement(l, e, failure);
            }
        }
        rethrow(failure);
    }

    @Override
    public void sessionEnded(String subject, String session) {
        Throwable failure = null;
        for (ConfigChangeFeedPort.Listener l : listeners) {
            try {
                l.sessionEnded(subject, session);
            } catch (RuntimeException | Error e) {
                failure = failedOnAnnouncement(l, e, failure);
            }
        }
        rethrow(failure);
    }

    /**
     * Every listener is told, whichever fails at it: one left believing that announcements arrive would
     * serve what it remembers as current (the watchers would answer what they read at a hold's start).
     */
    @Override
    public void interrupted() {
        Throwable failure = null;
        for (ConfigChangeFeedPort.Listener l : listeners) {
            try {
                l.interrupted();
            } catch (RuntimeException | Error e) {
                failure = first(failure, e);
            }
        }
        rethrow(failure);
    }

    /**
     * In order, up to the first failure, which is thrown: the feed then tells the whole group
     * {@link #interrupted()} (those that resynced too) and resyncs it later. The ones after the failed
     * one are not resynced meanwhile: they would be interrupted again at once, and resyncing the
     * watchers wakes every one of them.
     */
    @Override
    public void resync() {
        for (ConfigChangeFeedPort.Listener l : listeners) {
            l.resync();
        }
    }

    /** The failed listener stops trusting what it remembers before the next ones hear the announcement. */
    private static Throwable failedOnAnnouncement(ConfigChangeFeedPort.Listener failed, Throwable e, Throwable failure) {
        Throwable first = first(failure, e);
        try {
            failed.interrupted();
        } catch (RuntimeException | Error again) {
            if (again != first) {
                first.addSuppressed(again);
            }
        }
        return first;
    }

    private static Throwable first(Throwable failure, Throwable e) {
        if (failure == null) {
            return e;
        }
        if (failure != e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    private static void rethrow(Throwable failure) {
        if (failure == null) {
            return;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        throw (RuntimeException) failure;
    }

    /**
     * The listeners' names, in order ("in-memory view of effective revisions, then held watches"): what
     * the feed names when the group fails.
     */
    @Override
    public String toString() {
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < listeners.length; i++) {
            names.append(i == 0 ? "" : ", then ").append(listeners[i]);
        }
        return names.toString();
    }
}
