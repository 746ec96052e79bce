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
     * instance stores nothing. A refused batch (a label, a point named twice, too far ahead, too
     * many series) is taken from the collector's allowance as a stored one is, and kept; once the
     * allowance no longer holds it, it is answered as beyond the rate.
     *
     * @param collectorId the agent
     * @param batch       the samples
     * @return stored, duplicate, collector not found, too far ahead, too many series or rate exceeded
     */
    Receipt push(CollectorId collectorId, SampleBatch batch);

    /**
     * Charges a push whose batch could not be read (not JSON, not a batch, too large) against the
     * collector's allowance, as {@link #push} charges a refused batch: one sample per
     * {@value io.pgfleet.domain.fleet.SampleRate#BYTES_PER_SAMPLE} bytes.
     *
     * @param collectorId the agent
     * @param bytes       the body's size as far as it is known
     * @return rate exceeded when its allowance does not hold that much (the push is then answered
     *         as beyond the rate), else empty
     */
    java.util.Optional<Receipt.RateExceeded> unreadable(CollectorId collectorId, long bytes);
}
