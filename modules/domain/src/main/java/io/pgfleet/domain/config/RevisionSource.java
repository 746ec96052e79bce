package io.pgfleet.domain.config;

import java.util.Objects;

/**
 * How a revision came to be: published directly, or a rollback re-publishing an earlier version.
 */
public sealed interface RevisionSource {

    /**
     * The stored form: {@code put} or {@code rollback:N}.
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
}
