package io.pgfleet.domain.fleet;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Samples pushed together. The batch id makes a retried push idempotent: the server stores a
 * batch once, however often it arrives.
 *
 * @param batchId the agent's id for this batch
 * @param samples the samples, at most {@link #MAX_SAMPLES}
 */
public record SampleBatch(String batchId, List<Sample> samples) {

    /** The most samples one push may carry. */
    public static final int MAX_SAMPLES = 5000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");

    /** Requires an id and a bounded list. */
    public SampleBatch {
        if (batchId == null || !ID.matcher(batchId).matches()) {
            throw new IllegalArgumentException("a batch id is 8-64 letters, digits, '_' or '-'");
        }
        Objects.requireNonNull(samples, "samples");
        if (samples.size() > MAX_SAMPLES) {
            throw new IllegalArgumentException("a batch carries at most " + MAX_SAMPLES + " samples");
        }
        samples = List.copyOf(samples);
    }
}
