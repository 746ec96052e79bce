package io.pgfleet.application.service;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Values registered under a key, for as long as they are registered: an entry exists only while its
 * key has a value. Made for the many values of one key that leave at the same moment (every
 * watcher of a collector woken by one change): leaving takes the map's lock only when the key's set
 * looks empty afterwards, so they do not queue on it one by one.
 *
 * @param <K> the key
 * @param <V> the values
 */
final class Registrations<K, V> {

    private final ConcurrentHashMap<K, Set<V>> byKey = new ConcurrentHashMap<>();

    /**
     * Registers a value. The set found may be the one the last leaving value is removing at this
     * moment; a value added to it would never be found. So the registration counts only when the set
     * is still the key's after the value was added (the removal happens under the map's lock, only
     * of an empty set): otherwise it is made again.
     *
     * @param key   the key
     * @param value the value
     * @return the set the value is in, to hand back to {@link #leave}
     */
    Set<V> register(K key, V value) {
        while (true) {
            Set<V> set = byKey.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
            set.add(value);
            if (byKey.get(key) == set) {
                return set;
            }
            set.remove(value);
        }
    }

    /**
     * Removes a value; the last to leave removes the key's entry (of two leaving at once, at least
     * one sees the set empty).
     *
     * @param key   the key
     * @param set   what {@link #register} returned
     * @param value the value
     */
    void leave(K key, Set<V> set, V value) {
        set.remove(value);
        if (set.isEmpty()) {
            byKey.computeIfPresent(key, (k, s) -> s.isEmpty() ? null : s);
        }
    }

    /** Runs an action on every value of a key registered now. */
    void forEach(K key, Consumer<V> action) {
        Set<V> set = byKey.get(key);
        if (set != null) {
            set.forEach(action);
        }
    }

    /** Runs an action on every value registered now. */
    void forEach(Consumer<V> action) {
        byKey.values().forEach(s -> s.forEach(action));
    }

    /** Keys with at least one value now. */
    int keys() {
        return byKey.size();
    }

    /** Values of one key now. */
    int values(K key) {
        Set<V> set = byKey.get(key);
        return set == null ? 0 : set.size();
    }
}
