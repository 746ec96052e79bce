package io.pgfleet.application.port.out;

import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.SampleBatch;

import java.time.Instant;

/**
 * Stores sample batches exactly once.
 */
public interface SaveSampleBatchPort {

    /**
     * Stores a batch and its samples in one transaction, unless the batch id is known.
     *
     * @param collectorId the agent
     * @param batch       the batch
     * @param receivedAt  arrival time
     * @return stored with its count, duplicate, or collector not found
     */
    Receipt saveSampleBatch(CollectorId collectorId, SampleBatch batch, Instant receivedAt);
}
