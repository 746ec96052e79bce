package io.pgfleet.application.port.in;

import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.SampleBatch;

/**
 * An agent pushes a batch of samples; a batch is stored once however often it is pushed.
 */
public interface PushMetricsUseCase {

    /**
     * Stores a batch unless its id was stored before.
     *
     * @param collectorId the agent
     * @param batch       the samples
     * @return stored, duplicate, or collector not found
     */
    Receipt push(CollectorId collectorId, SampleBatch batch);
}
