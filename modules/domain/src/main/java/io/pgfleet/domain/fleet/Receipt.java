package io.pgfleet.domain.fleet;

/** The outcome of storing what an agent sent: a status report or a batch of samples. */
public sealed interface Receipt {
    /**
     * Stored.
     *
     * @param count how many samples were stored (0 for a status report)
     */
    record Stored(int count) implements Receipt {
        /** Requires a count that is not negative. */
        public Stored {
            if (count < 0) {
                throw new IllegalArgumentException("count must not be negative");
            }
        }
    }

    /** The batch was stored before; nothing was stored again. */
    record Duplicate() implements Receipt {
    }

    /** No such collector. */
    record CollectorNotFound() implements Receipt {
    }

    /**
     * A status report names a revision above the collector's latest effective revision: one that
     * never existed here (a database restored from an older backup, an agent's own mistake). Nothing
     * was stored.
     *
     * @param latest the collector's latest effective revision, 0 when it has none
     */
    record UnknownRevision(int latest) implements Receipt {
    }

    /**
     * A batch holds a sample stamped too far ahead of the server's clock ({@link SampleBatch#MAX_AHEAD}):
     * nothing of the batch was stored.
     *
     * @param ts  the first such sample's time
     * @param now the server's time
     */
    record TooFarAhead(java.time.Instant ts, java.time.Instant now) implements Receipt {
        /** Requires both times. */
        public TooFarAhead {
            java.util.Objects.requireNonNull(ts, "ts");
            java.util.Objects.requireNonNull(now, "now");
        }
    }

    /**
     * The collector pushed more samples than its {@link SampleRate} allows: nothing of the batch was
     * stored, and the same batch is accepted once the allowance has refilled.
     *
     * @param retryAfter how long until it would be accepted
     * @param rate       the collector's allowance
     */
    record RateExceeded(java.time.Duration retryAfter, SampleRate rate) implements Receipt {
        /** Requires both. */
        public RateExceeded {
            java.util.Objects.requireNonNull(retryAfter, "retryAfter");
            java.util.Objects.requireNonNull(rate, "rate");
        }
    }

    /**
     * A batch names more than {@link SampleBatch#MAX_SERIES} distinct series: nothing of it was stored.
     *
     * @param series how many it names (counted up to one past the bound)
     */
    record TooManySeries(int series) implements Receipt {
    }

    /**
     * A sample of the batch carries a label no new sample may carry ({@link Sample#newLabelRefusal}):
     * nothing of the batch was stored.
     *
     * @param index   the sample's place in the batch, from 0
     * @param refusal its first refused label and the rule
     */
    record RefusedLabel(int index, Sample.LabelRefusal refusal) implements Receipt {
        /** Requires a place and a refusal. */
        public RefusedLabel {
            if (index < 0) {
                throw new IllegalArgumentException("index must not be negative");
            }
            java.util.Objects.requireNonNull(refusal, "refusal");
        }
    }

    /**
     * Two samples of the batch are the same point: the same series (name and labels) at the same
     * time. Nothing of the batch was stored.
     *
     * @param first  the earlier sample's place in the batch, from 0
     * @param second the later one's
     */
    record RepeatedPoint(int first, int second) implements Receipt {
        /** Requires two places, the first before the second. */
        public RepeatedPoint {
            if (first < 0 || second <= first) {
                throw new IllegalArgumentException("first must be at least 0 and below second");
            }
        }
    }
}
