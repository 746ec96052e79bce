package io.pgfleet.domain.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
    /**
     * How far ahead of the server's clock a sample's time may be. Samples are purged by their time,
     * so one stamped in the year 9999 (a hostile agent, a broken clock) would outlive every
     * retention; a host whose clock is off by days or months still has its samples kept (they land
     * in the catch-all partition), so the bound is generous: a stored sample outlives its
     * retention by at most two years.
     */
    public static final Duration MAX_AHEAD = Duration.ofDays(730);
    /**
     * The most distinct series (a name with its labels) one batch may name. The agent sends at most
     * 1,000 samples a batch, so none of its batches can name more; a batch of 5,000 samples each of
     * a new series is a client inventing series, refused whole.
     */
    public static final int MAX_SERIES = 1000;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");

    /**
     * Whether a text is a batch id: 8-64 letters, digits, '_' or '-'.
     *
     * @param batchId the candidate
     * @return true when a batch may carry it
     */
    public static boolean isBatchId(String batchId) {
        return batchId != null && ID.matcher(batchId).matches();
    }

    /** Requires an id and a bounded list. */
    public SampleBatch {
        if (!isBatchId(batchId)) {
            throw new IllegalArgumentException("a batch id is 8-64 letters, digits, '_' or '-'");
        }
        Objects.requireNonNull(samples, "samples");
        if (samples.size() > MAX_SAMPLES) {
            throw new IllegalArgumentException("a batch carries at most " + MAX_SAMPLES + " samples");
        }
        samples = List.copyOf(samples);
    }

    /**
     * How many distinct series the batch names, counted up to one past {@link #MAX_SERIES}.
     *
     * @return the distinct (name, labels) pairs, at most {@code MAX_SERIES + 1}
     */
    public int series() {
        java.util.Set<Series> seen = new java.util.HashSet<>();
        for (Sample s : samples) {
            if (seen.add(new Series(s.name(), s.labels())) && seen.size() > MAX_SERIES) {
                break;
            }
        }
        return seen.size();
    }

    /** A series: a metric name with its labels. */
    private record Series(String name, java.util.Map<String, String> labels) {
    }

    /**
     * The first sample carrying a label that no new sample may carry ({@link Sample#newLabelRefusal}).
     *
     * @return that sample's place and refusal, or empty when every label may be stored
     */
    public Optional<Receipt.RefusedLabel> firstRefusedLabel() {
        for (int i = 0; i < samples.size(); i++) {
            Optional<Sample.LabelRefusal> refusal = samples.get(i).newLabelRefusal();
            if (refusal.isPresent()) {
                return Optional.of(new Receipt.RefusedLabel(i, refusal.get()));
            }
        }
        return Optional.empty();
    }

    /**
     * The first sample that repeats an earlier one's point: its series at its time. Two values for
     * one point cannot both be right, and the batch does not say which is; the agent never sends
     * that, so a client that does has a bug to see rather than a value picked for it.
     *
     * @return the places of the earlier and the later sample, or empty when every point is named once
     */
    public Optional<Receipt.RepeatedPoint> firstRepeatedPoint() {
        java.util.Map<Point, Integer> seen = new java.util.HashMap<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            Integer earlier = seen.putIfAbsent(new Point(s.name(), s.labels(), s.ts()), i);
            if (earlier != null) {
                return Optional.of(new Receipt.RepeatedPoint(earlier, i));
            }
        }
        return Optional.empty();
    }

    /** A point: a series at a time. */
    private record Point(String name, java.util.Map<String, String> labels, Instant ts) {
    }

    /**
     * The first sample stamped more than {@link #MAX_AHEAD} after {@code now}.
     *
     * @param now the server's time
     * @return that sample, or empty when every sample's time is acceptable
     */
    public Optional<Sample> firstTooFarAhead(Instant now) {
        Instant latest = now.plus(MAX_AHEAD);
        return samples.stream().filter(s -> s.ts().isAfter(latest)).findFirst();
    }
}
