package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.util.List;
import java.util.Optional;

/**
 * What produces samples: the collectors of SPEC §2.
 */
public interface MetricSource extends AutoCloseable {

    /**
     * Points the PostgreSQL collectors at a (new) database.
     *
     * @param target the database
     */
    void retarget(EffectiveConfig.PostgresTarget target);

    /**
     * Collects once.
     *
     * @param kind   which collector
     * @param config the configuration in force
     * @return the samples
     * @throws PartlyCollected when only part of it could be read
     * @throws Exception        when the source cannot be read
     */
    List<Sample> collect(CollectorKind kind, EffectiveConfig config) throws Exception;

    /**
     * A run that read part of what it should: one of a collector's paths could not be read (removed
     * since the version was applied), the others could. The run counts as failed and is logged with
     * this message, and the samples it did read are kept: a missing path must not take the others'
     * samples with it.
     */
    final class PartlyCollected extends Exception {
        private static final long serialVersionUID = 1L;
        /** Never serialized: the agent keeps it in memory only. */
        private final transient List<Sample> samples;

        /**
         * A partial run.
         *
         * @param samples what was read
         * @param message what could not be read, and why
         */
        public PartlyCollected(List<Sample> samples, String message) {
            super(message);
            this.samples = List.copyOf(samples);
        }

        /**
         * What was read.
         *
         * @return the samples
         */
        public List<Sample> samples() {
            return samples;
        }
    }

    /**
     * Reads what the PostgreSQL a configuration points at offers ({@code server_version_num},
     * preloaded libraries, databases, extensions), on connections of its own, on the facts lane (it
     * may wait for the driver's socket timeout), never on the way of an apply. Asked only once the
     * host's allow-lists accept the target.
     *
     * @param target the database a configuration names
     * @return the facts, or empty when it cannot be reached or read (nothing is then known lacking)
     */
    default Optional<HostFacts.PostgresFacts> probe(EffectiveConfig.PostgresTarget target) {
        return Optional.empty();
    }

    /**
     * Whether the PostgreSQL a configuration points at can be reached: a connection of its own and
     * one query, closed at once. Asked on the facts lane (it may wait for the driver's socket
     * timeout) while the version that points there is held, never on the pull lane.
     *
     * @param target the database a configuration names
     * @return why it cannot be reached (PostgreSQL's or the driver's words), empty when it answers
     */
    default Optional<String> unreachable(EffectiveConfig.PostgresTarget target) {
        return Optional.empty();
    }

    /** Releases connections. */
    @Override
    void close();
}
