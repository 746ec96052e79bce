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
     * What was read back: the samples of every good line, and the lines that were not a sample.
     *
     * @param unsent  the samples, in order
     * @param skipped how many lines were skipped
     * @param reasons why, for the first few of them ({@code line 7: labels must be text}), at most
     *                {@link #MAX_REASONS}
     * @param older   how many samples were left out as older than the most that were asked for
     *                ({@link #load(int)})
     */
    record Loaded(Unsent unsent, int skipped, List<String> reasons, long older) {
        /** The most reasons kept: a file damaged throughout must not flood the log. */
        public static final int MAX_REASONS = 3;

        /** Copies the reasons. */
        public Loaded {
            Objects.requireNonNull(unsent, "unsent");
            reasons = List.copyOf(reasons);
        }

        /**
         * Nothing left out as older.
         *
         * @param unsent  the samples, in order
         * @param skipped how many lines were skipped
         * @param reasons why, for the first few of them
         */
        public Loaded(Unsent unsent, int skipped, List<String> reasons) {
            this(unsent, skipped, reasons, 0);
        }

        /**
         * Every line was a sample.
         *
         * @param unsent the samples
         * @return them, nothing skipped
         */
        public static Loaded whole(Unsent unsent) {
            return new Loaded(unsent, 0, List.of());
        }
    }

    /**
     * What was kept, {@link Unsent#NOTHING} when nothing was. A line that is no kept sample (a hand
     * edit, a disk that lost a block) costs that line, not the others.
     *
     * @return the kept samples and the lines skipped
     * @throws IllegalStateException when the kept file cannot be read at all (the reason, for the log)
     */
    default Loaded load() {
        return load(Integer.MAX_VALUE);
    }

    /**
     * What was kept, at most the newest {@code most} samples: a file written with a larger buffer
     * (before {@code buffer_samples} was lowered, with the heap it needed) is never read whole into
     * a heap sized for the smaller one. The older samples are counted in {@link Loaded#older()}.
     *
     * @param most the most samples to read back (the buffer's capacity)
     * @return the newest kept samples, the lines skipped and how many older ones were left out
     * @throws IllegalStateException when the kept file cannot be read at all (the reason, for the log)
     */
    Loaded load(int most);

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
        public Loaded load(int most) {
            return Loaded.whole(Unsent.NOTHING);
        }

        @Override
        public void save(Unsent unsent) {
        }

        @Override
        public void clear() {
        }
    };
}
