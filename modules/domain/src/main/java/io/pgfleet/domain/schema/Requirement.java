package io.pgfleet.domain.schema;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the monitored PostgreSQL must offer for a collector to run, declared by the schema beside the
 * collector's section and checked against what each agent reports before a publish is accepted.
 */
public sealed interface Requirement {

    /** An identifier as PostgreSQL names extensions and libraries. */
    Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,63}");

    /**
     * The requirement in words, for the reference page and refusals.
     *
     * @return e.g. {@code the extension pg_stat_statements in the monitored database}
     */
    String describe();

    /**
     * A minimum {@code server_version_num}.
     *
     * @param atLeast e.g. {@code 130000} for PostgreSQL 13
     */
    record ServerVersion(int atLeast) implements Requirement {
        /** Requires a plausible version number. */
        public ServerVersion {
            if (atLeast < 90_000) {
                throw new IllegalArgumentException("a server_version_num is at least 90000");
            }
        }

        @Override
        public String describe() {
            return "PostgreSQL " + major(atLeast) + " or later (server_version_num ≥ " + atLeast + ")";
        }

        /** The major version of a {@code server_version_num} (10 and later: the first two digits). */
        static String major(int num) {
            return num >= 100_000 ? String.valueOf(num / 10_000) : (num / 10_000) + "." + (num / 100 % 100);
        }
    }

    /**
     * An extension created in the monitored database (the first of {@code postgres.databases}).
     *
     * @param name e.g. {@code pg_stat_statements}
     */
    record Extension(String name) implements Requirement {
        /** Requires a name. */
        public Extension {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("an extension name is 1-63 letters, digits, _ . -");
            }
        }

        @Override
        public String describe() {
            return "the extension " + name + " in the monitored database";
        }
    }

    /**
     * A library in the server's {@code shared_preload_libraries}.
     *
     * @param name e.g. {@code pg_stat_statements}
     */
    record PreloadLibrary(String name) implements Requirement {
        /** Requires a name. */
        public PreloadLibrary {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("a library name is 1-63 letters, digits, _ . -");
            }
        }

        @Override
        public String describe() {
            return name + " in shared_preload_libraries";
        }
    }
}
