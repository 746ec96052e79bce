package io.pgfleet.domain.config;

import java.util.Objects;

/**
 * How a revision came to be: published directly, a rollback re-publishing an earlier version, a
 * layer version staged by a rollout, or the previous version published again by a rollout's rollback.
 */
public sealed interface RevisionSource {

    /**
     * The stored form: {@code put}, {@code rollback:N}, {@code rollout:ID} or {@code rollout-rollback:ID}.
     *
     * @return the label
     */
    String label();

    /**
     * Reads the stored form back.
     *
     * @param label {@code put} or {@code rollback:N}
     * @return the source
     */
    static RevisionSource parse(String label) {
        if ("put".equals(label)) {
            return new Put();
        }
        if (label != null && label.startsWith("rollback:")) {
            return new Rollback(ConfigVersion.parse(label.substring("rollback:".length())));
        }
        if (label != null && label.matches("rollout:[1-9][0-9]{0,17}")) {
            return new Staged(Long.parseLong(label.substring("rollout:".length())));
        }
        if (label != null && label.matches("rollout-rollback:[1-9][0-9]{0,17}")) {
            return new RolloutRollback(Long.parseLong(label.substring("rollout-rollback:".length())));
        }
        throw new IllegalArgumentException("unknown revision source '" + label + "'");
    }

    /** A document published by an operator. */
    record Put() implements RevisionSource {
        @Override
        public String label() {
            return "put";
        }
    }

    /**
     * The document of an earlier version, published again.
     *
     * @param from the version rolled back to
     */
    record Rollback(ConfigVersion from) implements RevisionSource {
        /** Requires the version. */
        public Rollback {
            Objects.requireNonNull(from, "from");
        }

        @Override
        public String label() {
            return "rollback:" + from.value();
        }
    }

    /**
     * A layer version staged by a rollout: delivered wave by wave, current once the rollout completes.
     *
     * @param rollout the rollout's id
     */
    record Staged(long rollout) implements RevisionSource {
        /** Requires a rollout id. */
        public Staged {
            if (rollout < 1) {
                throw new IllegalArgumentException("a rollout id is positive");
            }
        }

        @Override
        public String label() {
            return "rollout:" + rollout;
        }
    }

    /**
     * The layer's previous version, published again because a rollout rolled back.
     *
     * @param rollout the rollout's id
     */
    record RolloutRollback(long rollout) implements RevisionSource {
        /** Requires a rollout id. */
        public RolloutRollback {
            if (rollout < 1) {
                throw new IllegalArgumentException("a rollout id is positive");
            }
        }

        @Override
        public String label() {
            return "rollout-rollback:" + rollout;
        }
    }
}
