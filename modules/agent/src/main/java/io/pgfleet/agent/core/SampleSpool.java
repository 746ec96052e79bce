package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.Sample;

import java.util.List;
import java.util.Objects;

/**
 * Where samples the server has not taken yet are kept over a restart of the agent: written while
 * the server is away and when the agent stops, read back when it starts, and forgotten once a push
 * succeeds again (what it held is then either delivered or in memory, written again at the next
 * failure or stop).
 */
public interface SampleSpool {

    /**
     * A batch that was already sent at least once under its id: sent again under the same id, so the
     * server stores it once even when it took it before the answer was lost.
     *
     * @param id      the batch id
     * @param samples its samples
     */
    record Batch(String id, List<Sample> samples) {
        /** Copies the samples. */
        public Batch {
            Objects.requireNonNull(id, "id");
            samples = List.copyOf(samples);
        }
    }

    /**
     * What was not delivered, oldest first.
     *
     * @param batches  batches formed (and sent) before, in order
     * @param buffered samples not in any batch yet, in order
     */
    record Unsent(List<Batch> batches, List<Sample> buffered) {
        /** Copies the lists. */
        public Unsent {
            batches = List.copyOf(batches);
            buffered = List.copyOf(buffered);
        }

        /** Nothing kept. */
        public static final Unsent NOTHING = new Unsent(List.of(), List.of());

        /**
         * How many samples this holds.
         *
         * @return the count
         */
        public int samples() {
            return buffered.size() + batches.stream().mapToInt(b -> b.samples().size()).sum();
        }
    }

    /**
     * What was kept, or {@link Unsent#NOTHING}.
     *
     * @return the kept samples
     * @throws IllegalStateException when the kept file cannot be read (the reason, for the log)
     */
    Unsent load();

    /**
     * Keeps samples, replacing what was kept (atomically: a crash leaves the old or the new).
     *
     * @param unsent what to keep
     * @throws java.io.UncheckedIOException when it cannot be written
     */
    void save(Unsent unsent);

    /** Forgets what was kept. */
    void clear();

    /** A spool that keeps nothing (tests, simulated agents). */
    SampleSpool NONE = new SampleSpool() {
        @Override
        public Unsent load() {
            return Unsent.NOTHING;
        }

        @Override
        public void save(Unsent unsent) {
        }

        @Override
        public void clear() {
        }
    };
}
