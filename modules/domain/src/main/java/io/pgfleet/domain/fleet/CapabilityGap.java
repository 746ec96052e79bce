package io.pgfleet.domain.fleet;

import io.pgfleet.domain.common.ShownText;

import java.util.Objects;

/**
 * One thing an effective configuration needs that a member's host lacks.
 *
 * @param capability what kind of thing
 * @param key        the configuration key that needs it, e.g. {@code collectors.pg_stat_statements.enabled}
 * @param message    the gap in words, naming what is needed and what the host has
 */
public record CapabilityGap(Capability capability, String key, String message) {

    /** The kinds of capability a configuration can need. */
    public enum Capability {
        /** An extension in the monitored database. */
        EXTENSION,
        /** A library in {@code shared_preload_libraries}. */
        PRELOAD_LIBRARY,
        /** A minimum PostgreSQL version. */
        SERVER_VERSION,
        /** A database that exists. */
        DATABASE,
        /** An agent that knows the key (its configuration schema version). */
        AGENT_SCHEMA,
        /** A password directory the host's local file allows. */
        PASSWORD_DIR,
        /** A password variable the host's local file allows. */
        PASSWORD_ENV,
        /** A database host the host's local file allows. */
        HOST;

        /**
         * The name in the API.
         *
         * @return e.g. {@code extension}
         */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Requires every part, and keeps the message as it can be shown: it quotes what agents reported (an
     * allow-list, a library list), and gaps computed from reports an earlier release accepted raw are
     * still read back, so what a terminal would act on is escaped here, for every reader.
     */
    public CapabilityGap {
        Objects.requireNonNull(capability, "capability");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(message, "message");
        key = ShownText.escaped(key);
        message = ShownText.escaped(message);
    }

    @Override
    public String toString() {
        return key + ": " + message;
    }
}
