package io.pgfleet.application.port.out;

import java.util.Objects;
import java.util.function.Function;

/**
 * Runs a change of configuration layers, groups, labels or a collector's own layer as one
 * transaction: everything the work stores (layer version, audit entry, effective revisions and
 * their announcements) is committed together, or nothing is.
 */
public interface LayerStorePort {

    /**
     * Runs the work in a transaction and commits it when the work says so, else rolls it back.
     *
     * @param work the change, deciding from what it reads through the transaction
     * @param <T>  the work's result
     * @return the work's result
     * @throws StorageUnavailableException when the database cannot be reached
     */
    <T> T transact(Function<LayerTransaction, Outcome<T>> work);

    /**
     * The result of a unit of work and whether to keep what it wrote.
     *
     * @param value  the result
     * @param commit true to commit, false to roll back
     * @param <T>    the result type
     */
    record Outcome<T>(T value, boolean commit) {
        /** Requires the value. */
        public Outcome {
            Objects.requireNonNull(value, "value");
        }

        /**
         * Keep the writes.
         *
         * @param value the result
         * @param <T>   its type
         * @return the outcome
         */
        public static <T> Outcome<T> commit(T value) {
            return new Outcome<>(value, true);
        }

        /**
         * Discard the writes.
         *
         * @param value the result
         * @param <T>   its type
         * @return the outcome
         */
        public static <T> Outcome<T> rollback(T value) {
            return new Outcome<>(value, false);
        }
    }
}
