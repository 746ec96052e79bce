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
     * @throws Exception when the source cannot be read
     */
    List<Sample> collect(CollectorKind kind, EffectiveConfig config) throws Exception;

    /**
     * Reads what the PostgreSQL a configuration points at offers ({@code server_version_num},
     * preloaded libraries, databases, extensions), on connections of its own, before the agent
     * applies the configuration. Asked only once the host's allow-lists accept the target.
     *
     * @param target the database a configuration names
     * @return the facts, or empty when it cannot be reached or read (nothing is then known lacking)
     */
    default Optional<HostFacts.PostgresFacts> probe(EffectiveConfig.PostgresTarget target) {
        return Optional.empty();
    }

    /**
     * Whether the PostgreSQL a configuration points at can be reached: a connection of its own and
     * one query, closed at once.
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
