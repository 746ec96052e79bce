package io.pgfleet.server;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Starts the pgfleet server: {@code java -jar pgfleet-server.jar [--config FILE]}. Exit status: 2 for
 * bad usage or settings, 1 when the server cannot start (one line on standard error says why), and
 * otherwise the server runs until it is stopped. Its commands ({@code backup}, {@code restore},
 * {@code reset-admin-password}) run once and exit.
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
        // Before anything logs: the lines logged while the server stops are kept (ShutdownLogManager says why).
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", ShutdownLogManager.class.getName());
        }
        // One line per log record, cheaply formatted (LogLineFormatter says why); an operator's own
        // logging configuration is left as it is.
        if (LogLineFormatter.installOnConsole(java.util.logging.Logger.getLogger(""))) {
            // The request log's lines of a burst are written with one system call (BurstConsoleHandler says why).
            BurstConsoleHandler.installFor(java.util.logging.Logger.getLogger(""),
                    java.util.logging.Logger.getLogger("io.pgfleet.http.requests"));
        }
        if (AdminPasswordCommand.handles(args) || DataCommands.handles(args)) {
            quietLibraries();
        }
        if (AdminPasswordCommand.handles(args)) {
            System.exit(AdminPasswordCommand.run(args, System.getenv(), System.in, System.out, System.err));
            return;
        }
        if (DataCommands.handles(args)) {
            System.exit(DataCommands.run(args, System.getenv(), System.out, System.err));
            return;
        }
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
        PgfleetServer server;
        try {
            server = PgfleetServer.start(settings);
        } catch (CannotStartException e) {
            // Shown even though the server did not start: they are stored (as hashes) and a later
            // start will not generate them again, so now is the only time they can be learnt.
            if (e.generated().adminPassword().isPresent() || e.generated().registrationSecret().isPresent()) {
                System.out.println("pgfleet: the server did not start, but these were generated and stored before it"
                        + " failed; keep them: a later start will not show them again");
                printGenerated(e.generated());
            }
            System.err.println("pgfleet-server: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        } catch (RuntimeException e) {
            // Not a known refusal: the one line first, then the stack trace, which is what is needed to find out why.
            System.err.println("pgfleet-server: cannot start: " + e);
            e.printStackTrace();
            System.exit(1);
            return;
        }
        printGenerated(server.generatedSecrets());
        System.out.printf("pgfleet server ready on %s://%s:%d in %d ms (database: %s)%n",
                settings.tls().enabled() ? "https" : "http",
                settings.host(), server.port(), (System.nanoTime() - started) / 1_000_000,
                server.embeddedDatabase()
                        ? "embedded PostgreSQL at " + server.databaseUrl() + ", data in "
                        + settings.dataDir().toAbsolutePath().resolve("postgres")
                        // An external URL may carry the password: the line goes to every start's log.
                        : io.pgfleet.adapter.out.postgres.DatabaseSettings.shown(settings.dbUrl().orElseThrow()));
    }

    /**
     * A command prints its own lines: the embedded PostgreSQL's, Flyway's and the pool's progress
     * (some ninety INFO lines: initdb, migrations, the binaries' directory) buried its one result.
     * Warnings and errors still show; an operator's own logging configuration is left as it is.
     */
    private static void quietLibraries() {
        if (System.getProperty("java.util.logging.config.file") == null
                && System.getProperty("java.util.logging.config.class") == null) {
            java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        }
    }

    private static void printGenerated(io.pgfleet.application.port.in.BootstrapSecurityUseCase.Generated generated) {
        generated.adminPassword().ifPresent(p -> System.out.println(
                "pgfleet: created the first administrator 'admin' with the password: " + p
                        + "\n         (shown once; set PGFLEET_ADMIN_PASSWORD to choose it yourself)"));
        generated.registrationSecret().ifPresent(s -> System.out.println(
                "pgfleet: generated the agent registration secret: " + s
                        + "\n         (shown once; set PGFLEET_REGISTRATION_SECRET to choose it yourself)"));
    }

    private static final String USAGE = """
            usage: pgfleet-server [--config FILE]
              Settings come from FILE (TOML: port, host, data_dir, db_url, db_user, db_password, db_pool_size,
              db_statement_timeout, admin_password, registration_secret, access_token_ttl, tls_cert, tls_key, tls_keystore,
              tls_keystore_password, tls_client_ca), each overridden by PGFLEET_<KEY IN CAPITALS>
              (PGFLEET_PORT, PGFLEET_DB_URL, PGFLEET_ADMIN_PASSWORD, PGFLEET_TLS_CLIENT_CA, ...).
              Without a database URL the server runs an embedded PostgreSQL under the data directory.
            """ + DataCommands.USAGE + "\n" + AdminPasswordCommand.USAGE;

    private static void usage(String error) {
        System.err.println("pgfleet-server: " + error);
        System.err.println(USAGE);
        System.exit(2);
    }
}
