package io.pgfleet.application.port.in;

import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.SampleBatch;

/**
 * An agent pushes a batch of samples; a batch is stored once however often it is pushed.
 */
public interface PushMetricsUseCase {

    /**
     * Stores a batch unless its id was stored before, all of it or nothing: a batch with a sample
     * too far ahead, one naming too many series, or one beyond the collector's sample rate on this
     * instance stores nothing.
     *
     * @param collectorId the agent
     * @param batch       the samples
     * @return stored, duplicate, collector not found, too far ahead, too many series or rate exceeded
     */
    Receipt push(CollectorId collectorId, SampleBatch batch);
}
