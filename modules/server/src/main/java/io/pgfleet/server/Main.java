package io.pgfleet.server;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Starts the pgfleet server: {@code java -jar pgfleet-server.jar [--config FILE]}.
 */
public final class Main {

    private Main() {
    }

    /**
     * Entry point.
     *
     * @param args {@code --config FILE} optionally
     */
    public static void main(String[] args) {
        Optional<Path> configFile = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        usage("--config needs a file");
                    }
                    configFile = Optional.of(Path.of(args[++i]));
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> usage("unknown argument '" + args[i] + "'");
            }
        }
        if (configFile.isEmpty() && System.getenv("PGFLEET_CONFIG") != null) {
            configFile = Optional.of(Path.of(System.getenv("PGFLEET_CONFIG")));
        }
        ServerSettings settings;
        try {
            settings = ServerSettings.load(configFile, System.getenv());
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        }
        long started = System.nanoTime();
        PgfleetServer server = PgfleetServer.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "pgfleet-shutdown"));
        System.out.printf("pgfleet server ready on http://%s:%d in %d ms (database: %s)%n",
                settings.host(), server.port(), (System.nanoTime() - started) / 1_000_000,
                server.embeddedDatabase()
                        ? "embedded PostgreSQL in " + settings.dataDir().toAbsolutePath().resolve("postgres")
                        : settings.dbUrl().orElseThrow());
    }

    private static final String USAGE = """
            usage: pgfleet-server [--config FILE]
              Settings come from FILE (TOML: port, host, data_dir, db_url, db_user, db_password, db_pool_size)
              and are overridden by PGFLEET_PORT, PGFLEET_HOST, PGFLEET_DATA_DIR, PGFLEET_DB_URL,
              PGFLEET_DB_USER, PGFLEET_DB_PASSWORD, PGFLEET_DB_POOL_SIZE.
              Without a database URL the server runs an embedded PostgreSQL under the data directory.""";

    private static void usage(String error) {
        System.err.println("pgfleet-server: " + error);
        System.err.println(USAGE);
        System.exit(2);
    }
}
