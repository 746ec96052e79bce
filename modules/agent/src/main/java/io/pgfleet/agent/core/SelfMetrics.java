package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.schema.CollectorKind;

import java.time.Duration;

/**
 * Where the core tells what it did, for the agent's own metrics (pulls, applies, collections,
 * pushes). Levels the core holds itself (applied version, samples waiting, samples dropped) are
 * read from {@link AgentCore}. Implementations must return at once and never throw.
 */
public interface SelfMetrics {

    /** How a pull ended. */
    enum PullResult {
        /** The server answered with a version newer than the running one (applied or failed). */
        NEW_VERSION,
        /** The server answered with nothing new (not modified, no configuration yet, an older version). */
        UNCHANGED,
        /** The server could not be reached, or answered with an error. */
        ERROR,
        /** The server refuses this agent's identity for good; nothing is sent until it is re-enrolled. */
        REFUSED;

        /** @return the label value */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How one push of a batch ended. */
    enum PushResult {
        /** Stored by the server. */
        OK,
        /** The server could not be reached, or asked for a new token: the batch is kept and retried. */
        ERROR,
        /** Refused by the server: the batch is dropped. */
        REFUSED,
        /** Too large for the server: the batch is split in two. */
        SPLIT;

        /** @return the label value */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Metrics that go nowhere: the agent's metrics are off. */
    SelfMetrics NONE = new SelfMetrics() {
    };

    /**
     * A pull ended.
     *
     * @param result how
     */
    default void pulled(PullResult result) {
    }

    /**
     * A version was applied or failed.
     *
     * @param status APPLIED or FAILED
     */
    default void applied(ApplyStatus status) {
    }

    /**
     * A collector ran.
     *
     * @param kind the collector
     * @param took how long it ran
     * @param ok   false when it failed
     */
    default void collected(CollectorKind kind, Duration took, boolean ok) {
    }

    /**
     * A batch push ended.
     *
     * @param result  how
     * @param samples samples in the batch
     */
    default void pushed(PushResult result, int samples) {
    }
}
