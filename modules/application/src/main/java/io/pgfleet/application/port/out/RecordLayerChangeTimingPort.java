package io.pgfleet.application.port.out;

import java.time.Duration;

/**
 * Records where a committed layer publish (a fleet or group layer version, a rollback) spent its
 * time, so that an operator can watch the distribution (a metric) rather than read log lines.
 */
public interface RecordLayerChangeTimingPort {

    /**
     * Records one committed layer publish.
     *
     * @param timing where its time went
     */
    void recordLayerChange(Timing timing);

    /**
     * Where one committed layer publish spent its time.
     *
     * @param members        collectors the layer reaches
     * @param distinctStacks distinct layer stacks merged (each once, however many members share it)
     * @param locked         locking the members
     * @param read           reading the members, a page at a time
     * @param merged         merging, validating and rendering them
     * @param checked        checking the changed members' host capabilities
     * @param stored         the statements of full batches of effective revisions
     * @param total          the whole transaction, up to and including its commit
     */
    record Timing(int members, int distinctStacks, Duration locked, Duration read, Duration merged, Duration checked,
                  Duration stored, Duration total) {

        /** Requires every part; counts are not negative. */
        public Timing {
            if (members < 0 || distinctStacks < 0) {
                throw new IllegalArgumentException("counts are not negative");
            }
            java.util.Objects.requireNonNull(locked, "locked");
            java.util.Objects.requireNonNull(read, "read");
            java.util.Objects.requireNonNull(merged, "merged");
            java.util.Objects.requireNonNull(checked, "checked");
            java.util.Objects.requireNonNull(stored, "stored");
            java.util.Objects.requireNonNull(total, "total");
        }
    }
}
