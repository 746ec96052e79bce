package io.pgfleet.domain.fleet;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a stored sample stands in the order one collector's samples are read in: by time, then
 * metric name, then the batch that brought it, then a digest of its labels. Within one batch a
 * series has one sample at a time (a batch naming a point twice is refused), so those four tell
 * stored samples apart; what they do not tell apart — the same batch stored again after its id was
 * purged, samples stored before that rule, labels whose digests collide — is counted by
 * {@code repeat}: the sample is the {@code repeat}-th of those equal in all four (ordered by labels,
 * then value). A read that goes on after a position reads every sample after it once, however many
 * share its time.
 *
 * @param ts           when the sample was measured, to the microsecond (what storage keeps)
 * @param name         its metric name
 * @param batchId      the id of the batch that stored it
 * @param labelsDigest a digest of its labels as the store keeps them: 64 lowercase hexadecimal digits
 * @param repeat       1 for the first of the samples equal in the four above, 2 for the second …
 */
public record SamplePosition(Instant ts, String name, String batchId, String labelsDigest, int repeat) {

    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");

    /** Requires each part in the form storage gives it: a position built from anything else is no sample's. */
    public SamplePosition {
        Objects.requireNonNull(ts, "ts");
        if (!ts.truncatedTo(ChronoUnit.MICROS).equals(ts)) {
            throw new IllegalArgumentException("a sample's time is kept to the microsecond, got " + ts);
        }
        if (!Sample.isName(name)) {
            throw new IllegalArgumentException("not a metric name");
        }
        if (!SampleBatch.isBatchId(batchId)) {
            throw new IllegalArgumentException("not a batch id");
        }
        if (labelsDigest == null || !DIGEST.matcher(labelsDigest).matches()) {
            throw new IllegalArgumentException("a labels digest is 64 lowercase hexadecimal digits");
        }
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat counts from 1, got " + repeat);
        }
    }
}
