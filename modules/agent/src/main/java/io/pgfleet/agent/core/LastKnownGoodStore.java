package io.pgfleet.agent.core;

import java.util.Optional;

/**
 * The last configuration applied, kept durably to run on when the server is away at start-up.
 */
public interface LastKnownGoodStore {

    /**
     * A kept configuration.
     *
     * @param version  its version
     * @param document its TOML
     */
    record Cached(int version, String document) {
    }

    /**
     * The kept configuration.
     *
     * @return it, or empty
     */
    Optional<Cached> lastKnownGood();

    /**
     * Keeps a configuration (atomically).
     *
     * @param cached it
     */
    void saveLastKnownGood(Cached cached);
}
