package io.pgfleet.server;

import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The server's settings: from its TOML config file, each overridden by an environment variable.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>file key</th><th>environment</th><th>default</th></tr>
 *   <tr><td>port</td><td>PGFLEET_PORT</td><td>8080</td></tr>
 *   <tr><td>host</td><td>PGFLEET_HOST</td><td>0.0.0.0</td></tr>
 *   <tr><td>data_dir</td><td>PGFLEET_DATA_DIR</td><td>./pgfleet-data</td></tr>
 *   <tr><td>db_url</td><td>PGFLEET_DB_URL</td><td>none: embedded PostgreSQL</td></tr>
 *   <tr><td>db_user</td><td>PGFLEET_DB_USER</td><td>postgres</td></tr>
 *   <tr><td>db_password</td><td>PGFLEET_DB_PASSWORD</td><td>empty</td></tr>
 *   <tr><td>db_pool_size</td><td>PGFLEET_DB_POOL_SIZE</td><td>16</td></tr>
 * </table>
 *
 * @param host       the address to listen on
 * @param port       the HTTP port, 0 for any free port
 * @param dataDir    where the embedded database and generated secrets live
 * @param dbUrl      an external PostgreSQL, or empty for the embedded one
 * @param dbUser     its user
 * @param dbPassword its password
 * @param poolSize   the most database connections this instance holds
 */
public record ServerSettings(String host, int port, Path dataDir, Optional<String> dbUrl, String dbUser,
                             String dbPassword, int poolSize) {

    private static final Set<String> FILE_KEYS =
            Set.of("host", "port", "data_dir", "db_url", "db_user", "db_password", "db_pool_size");

    /** Validates ranges. */
    public ServerSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(dbUrl, "dbUrl");
        Objects.requireNonNull(dbUser, "dbUser");
        Objects.requireNonNull(dbPassword, "dbPassword");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (poolSize < 1 || poolSize > 1000) {
            throw new IllegalArgumentException("db_pool_size must be 1..1000, got " + poolSize);
        }
    }

    /**
     * Defaults for tests: any free port on loopback, the given database.
     *
     * @param dbUrl      database URL
     * @param dbUser     user
     * @param dbPassword password
     * @param dataDir    data directory
     * @return the settings
     */
    public static ServerSettings forDatabase(String dbUrl, String dbUser, String dbPassword, Path dataDir) {
        return new ServerSettings("127.0.0.1", 0, dataDir, Optional.of(dbUrl), dbUser, dbPassword, 16);
    }

    /**
     * Reads the settings.
     *
     * @param configFile the TOML file, if any
     * @param env        the environment
     * @return the settings
     * @throws IllegalArgumentException on unknown keys or bad values, naming them
     */
    public static ServerSettings load(Optional<Path> configFile, Map<String, String> env) {
        TomlParseResult file = configFile.map(ServerSettings::parse).orElseGet(() -> Toml.parse(""));
        for (String key : file.keySet()) {
            if (!FILE_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown setting '" + key + "' in " + configFile.get()
                        + "; known: " + String.join(", ", FILE_KEYS));
            }
        }
        String host = value(file, env, "host", "PGFLEET_HOST", "0.0.0.0");
        int port = integer(file, env, "port", "PGFLEET_PORT", 8080);
        Path dataDir = Path.of(value(file, env, "data_dir", "PGFLEET_DATA_DIR", "pgfleet-data"));
        String dbUrl = value(file, env, "db_url", "PGFLEET_DB_URL", "");
        String dbUser = value(file, env, "db_user", "PGFLEET_DB_USER", "postgres");
        String dbPassword = value(file, env, "db_password", "PGFLEET_DB_PASSWORD", "");
        int pool = integer(file, env, "db_pool_size", "PGFLEET_DB_POOL_SIZE", 16);
        return new ServerSettings(host, port, dataDir, dbUrl.isBlank() ? Optional.empty() : Optional.of(dbUrl),
                dbUser, dbPassword, pool);
    }

    private static TomlParseResult parse(Path file) {
        try {
            TomlParseResult r = Toml.parse(Files.readString(file));
            if (r.hasErrors()) {
                throw new IllegalArgumentException("cannot read " + file + ": " + r.errors().get(0).toString());
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the server config file " + file, e);
        }
    }

    private static String value(TomlParseResult file, Map<String, String> env, String key, String envName, String fallback) {
        String fromEnv = env.get(envName);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return fromEnv;
        }
        Object v = file.get(key);
        return v == null ? fallback : String.valueOf(v);
    }

    private static int integer(TomlParseResult file, Map<String, String> env, String key, String envName, int fallback) {
        String text = value(file, env, key, envName, Integer.toString(fallback));
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " (" + envName + ") must be an integer, got '" + text + "'");
        }
    }
}
