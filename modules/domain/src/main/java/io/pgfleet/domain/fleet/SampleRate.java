package io.pgfleet.domain.fleet;

/**
 * How many samples one collector may push: a sustained rate and a burst (a token bucket that
 * holds at most {@code burst} samples and refills at {@code perMinute}). A batch is taken whole
 * or not at all; an empty batch counts as one sample, since it still stores its batch id.
 *
 * @param perMinute samples a minute, sustained
 * @param burst     samples that may arrive at once after a quiet spell (an agent replaying what it
 *                  buffered during an outage); at least {@link SampleBatch#MAX_SAMPLES}, so that
 *                  every batch the server accepts fits
 */
public record SampleRate(int perMinute, int burst) {

    /** The most either number may be set to. */
    public static final int MAX = 100_000_000;
    /**
     * 6,000 samples a minute: an agent at the default intervals with 100 monitored databases and
     * 100 statements produces about 1,600 (one database: about 55), docs/security.md gives the sums.
     */
    public static final int DEFAULT_PER_MINUTE = 6_000;
    /** 30,000 samples: the agent's whole default buffer (20,000) replayed at once, with room to spare. */
    public static final int DEFAULT_BURST = 30_000;

    /** Requires a positive rate and a burst that holds the largest batch. */
    public SampleRate {
        if (perMinute < 1 || perMinute > MAX) {
            throw new IllegalArgumentException("samples per minute must be 1.." + MAX + ", got " + perMinute);
        }
        if (burst < SampleBatch.MAX_SAMPLES || burst > MAX) {
            throw new IllegalArgumentException("the sample burst must be " + SampleBatch.MAX_SAMPLES + ".." + MAX
                    + " (a batch carries up to " + SampleBatch.MAX_SAMPLES + "), got " + burst);
        }
    }

    /**
     * {@value #DEFAULT_PER_MINUTE} a minute, bursts of {@value #DEFAULT_BURST}.
     *
     * @return the defaults
     */
    public static SampleRate defaults() {
        return new SampleRate(DEFAULT_PER_MINUTE, DEFAULT_BURST);
    }

    /**
     * What a batch costs: its samples, at least one.
     *
     * @param samples the batch's samples
     * @return the samples taken from the allowance
     */
    public static int cost(int samples) {
        return Math.max(1, samples);
    }

    /**
     * The fewest bytes of JSON a sample takes as usually written ({@code {"name":"f","value":1,"ts":"…"}}
     * with a full RFC 3339 time): what a batch the server could not read is charged per sample.
     */
    public static final int BYTES_PER_SAMPLE = 52;

    /**
     * What a push costs whose batch could not be read (not JSON, not a batch, too large): one sample
     * for every {@value #BYTES_PER_SAMPLE} bytes of its body, at least one and at most a whole
     * batch ({@link SampleBatch#MAX_SAMPLES}), as many as it could have carried.
     *
     * @param bytes the body's size as far as it is known (the most a body may be when it was too large)
     * @return the samples taken from the allowance
     */
    public static int unreadCost(long bytes) {
        return (int) Math.max(1, Math.min(SampleBatch.MAX_SAMPLES, (bytes + BYTES_PER_SAMPLE - 1) / BYTES_PER_SAMPLE));
    }
}
