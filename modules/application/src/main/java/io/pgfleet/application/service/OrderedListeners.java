package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.util.List;

/**
 * Hands each announcement to several listeners in a fixed order, so that the order is stated
 * where the listeners are built rather than implied by the order of subscriptions.
 */
final class OrderedListeners implements ConfigChangeFeedPort.Listener {

    private final List<ConfigChangeFeedPort.Listener> listeners;

    OrderedListeners(List<ConfigChangeFeedPort.Listener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
        listeners.forEach(l -> l.published(collectorId, version));
    }

    @Override
    public void sourcesChanged(CollectorId collectorId, ConfigVersion revision) {
        listeners.forEach(l -> l.sourcesChanged(collectorId, revision));
    }

    @Override
    public void principalChanged(String subject) {
        listeners.forEach(l -> l.principalChanged(subject));
    }

    @Override
    public void interrupted() {
        listeners.forEach(ConfigChangeFeedPort.Listener::interrupted);
    }

    @Override
    public void resync() {
        listeners.forEach(ConfigChangeFeedPort.Listener::resync);
    }
}
