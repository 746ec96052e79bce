package io.pgfleet.agent.core;

import java.util.Optional;
import java.util.OptionalInt;

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
     * A kept copy that is there but cannot be read as one: a version file that names no version, a
     * document that is no text or no file, half of the pair missing. The agent runs as if there were
     * none and says why, once.
     */
    final class UnusableCopy extends IllegalStateException {
        private final transient OptionalInt version;

        /**
         * The reason a copy cannot be used.
         *
         * @param version its version, when the version file could be read
         * @param reason  why, in plain words (for the log)
         */
        public UnusableCopy(OptionalInt version, String reason) {
            super(reason);
            this.version = version;
        }

        /**
         * The copy's version, when the version file names one.
         *
         * @return the version, or empty
         */
        public OptionalInt version() {
            return version;
        }
    }

    /**
     * The kept configuration.
     *
     * @return it, or empty when none was kept
     * @throws UnusableCopy when a copy is there but cannot be read as one (the reason, for the log)
     */
    Optional<Cached> lastKnownGood();

    /**
     * Keeps a configuration (atomically).
     *
     * @param cached it
     */
    void saveLastKnownGood(Cached cached);
}
