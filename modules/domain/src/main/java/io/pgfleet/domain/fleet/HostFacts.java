package io.pgfleet.domain.fleet;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What an agent reports about its host with its apply reports. Everything is bounded, since it comes
 * from the agent: a report beyond a bound is refused whole ({@code 400}), and the agent trims its lists
 * to the bounds itself (saying so in {@link PostgresFacts#databasesTruncated()}).
 *
 * @param schemaVersion the configuration schema version the agent understands (see
 *                      {@code ConfigSchema.VERSION})
 * @param os            the operating system, e.g. {@code Linux 6.1.0 amd64}
 * @param postgres      the monitored PostgreSQL as the agent last reached it; empty when it could not
 */
public record HostFacts(int schemaVersion, String os, Optional<PostgresFacts> postgres) {

    /** The highest schema version an agent may claim. */
    public static final int MAX_SCHEMA_VERSION = 1000;
    /** The longest operating system text kept. */
    public static final int MAX_OS = 128;
    /** Most database names kept. */
    public static final int MAX_DATABASES = 1000;
    /** Most databases with an extension list. */
    public static final int MAX_EXTENSION_DATABASES = 16;
    /** Most extensions listed per database. */
    public static final int MAX_EXTENSIONS = 200;
    /** Most libraries in {@code shared_preload_libraries}. */
    public static final int MAX_PRELOAD = 64;

    /**
     * An identifier as PostgreSQL stores it: at most 63 characters, none of them a control, format
     * (e.g. a right-to-left override that would disguise a name on an operator's screen), private-use or
     * unassigned character, nor a line or paragraph separator (which breaks the line it is shown on).
     */
    public static final Pattern IDENTIFIER = Pattern.compile("[^\\p{C}\\p{Zl}\\p{Zp}]{1,63}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:/%\\[\\]-]{1,255}");
    private static final Pattern OS = Pattern.compile("[^\\p{C}\\p{Zl}\\p{Zp}]{0," + MAX_OS + "}");

    /** Requires a schema version and a printable, bounded OS text. */
    public HostFacts {
        if (schemaVersion < 1 || schemaVersion > MAX_SCHEMA_VERSION) {
            throw new IllegalArgumentException("facts.schema_version is 1.." + MAX_SCHEMA_VERSION);
        }
        Objects.requireNonNull(os, "os");
        if (!OS.matcher(os).matches()) {
            throw new IllegalArgumentException("facts.os is at most " + MAX_OS + " printable characters");
        }
        Objects.requireNonNull(postgres, "postgres");
    }

    /**
     * The monitored PostgreSQL.
     *
     * @param host               the host the agent reached ({@code postgres.host} of its configuration)
     * @param port               its port
     * @param serverVersionNum   {@code server_version_num}, e.g. {@code 140022}
     * @param preloadLibraries   {@code shared_preload_libraries}
     * @param databases          the databases that exist (connectable), at most {@link #MAX_DATABASES}
     * @param databasesTruncated whether there were more than the list holds (then a database missing
     *                           from it is not known to be missing)
     * @param extensions         the extensions created in each monitored database
     */
    public record PostgresFacts(String host, int port, int serverVersionNum, List<String> preloadLibraries,
                                List<String> databases, boolean databasesTruncated,
                                Map<String, List<String>> extensions) {

        /** Copies and bounds every list. */
        public PostgresFacts {
            Objects.requireNonNull(host, "host");
            if (!HOST.matcher(host).matches()) {
                throw new IllegalArgumentException("facts.postgres.host is a host name, address or socket directory");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("facts.postgres.port is 1..65535");
            }
            if (serverVersionNum < 90_000 || serverVersionNum > 9_999_999) {
                throw new IllegalArgumentException("facts.postgres.server_version_num is 90000..9999999");
            }
            preloadLibraries = names(preloadLibraries, MAX_PRELOAD, "shared_preload_libraries");
            databases = names(databases, MAX_DATABASES, "databases");
            if (extensions.size() > MAX_EXTENSION_DATABASES) {
                throw new IllegalArgumentException("facts.postgres.extensions lists at most " + MAX_EXTENSION_DATABASES
                        + " databases");
            }
            TreeMap<String, List<String>> copy = new TreeMap<>();
            extensions.forEach((db, list) -> {
                names(List.of(db), 1, "extensions (database name)");
                copy.put(db, names(list, MAX_EXTENSIONS, "extensions." + db));
            });
            extensions = Collections.unmodifiableMap(copy);
        }

        private static List<String> names(List<String> list, int max, String what) {
            List<String> copy = List.copyOf(list);
            if (copy.size() > max || copy.stream().anyMatch(n -> !IDENTIFIER.matcher(n).matches())) {
                throw new IllegalArgumentException("facts.postgres." + what + " holds at most " + max
                        + " names of 1-63 printable characters");
            }
            return copy;
        }

        /**
         * Whether these facts describe the server a configuration points at.
         *
         * @param otherHost {@code postgres.host} of the configuration
         * @param otherPort {@code postgres.port} of the configuration
         * @return true when host and port are the ones the agent reached
         */
        public boolean describes(String otherHost, int otherPort) {
            return host.equals(otherHost) && port == otherPort;
        }
    }
}
