package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;

import java.util.List;

/**
 * What an effective revision stored through this instance does here, right after its commit: the
 * cache serves it at once (read your writes) and this instance's watchers of the collector are
 * woken at once, without waiting for the database's announcement to come back. That announcement
 * still wakes every other instance; arriving here as well, it finds the watchers already answered
 * (a second wake-up costs a cache read, never a wrong answer).
 */
final class CommittedChanges implements Announcer {

    private final EffectiveRevisionCache cache;
    private final ConfigChangeFeedPort.Listener watchers;

    CommittedChanges(EffectiveRevisionCache cache, ConfigChangeFeedPort.Listener watchers) {
        this.cache = cache;
        this.watchers = watchers;
    }

    /** Readers who miss one of these collectors until the change is over wait for it instead of reading the database. */
    @Override
    public Committing expect(List<LayerComposer.Save> saves) {
        return cache.expect(saves.stream().map(LayerComposer.Save::revision).toList());
    }

    @Override
    public void accept(LayerComposer.Save save) {
        cache.stored(save.revision());
        // Only a new number is news to a watcher; new sources under the same number are not.
        if (save.announce()) {
            watchers.published(save.revision().collectorId(), save.revision().revision());
        }
    }
}
