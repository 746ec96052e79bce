package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.util.List;

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

    /** Releases connections. */
    @Override
    void close();
}
