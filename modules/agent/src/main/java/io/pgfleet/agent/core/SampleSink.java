package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.Sample;

import java.util.List;

/**
 * Where samples go. Delivering the same batch id twice stores its samples once.
 */
public interface SampleSink {

    /**
     * Delivers a batch.
     *
     * @param batchId its id
     * @param samples its samples
     * @throws ServerException when not accepted; {@link ServerException.Kind#TOO_LARGE} and
     *                         {@link ServerException.Kind#REJECTED} mean the same batch will never be
     */
    void push(String batchId, List<Sample> samples) throws ServerException;
}
