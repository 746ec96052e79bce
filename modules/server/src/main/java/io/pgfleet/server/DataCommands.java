package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.DatabaseBackup;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * {@code pgfleet-server backup FILE} and {@code pgfleet-server restore FILE}: the embedded
 * database of the data directory the server's settings name ({@code --config FILE},
 * {@code PGFLEET_DATA_DIR}). An external PostgreSQL is backed up with its own tools.
 */
final class DataCommands {

    static final String USAGE = """
            usage: pgfleet-server backup FILE [--config FILE]    a consistent copy of the embedded database (server running or not)
                   pgfleet-server restore FILE [--config FILE]   replace a stopped server's database with a backup
              The data directory is the server's (data_dir, PGFLEET_DATA_DIR). The replaced cluster is kept as
              <data_dir>/postgres.before-restore-<time>. For an external PostgreSQL use pg_dump / pg_basebackup.""";

    private DataCommands() {
    }

    /** Whether the arguments are a data command. */
    static boolean handles(String[] args) {
        return args.length > 0 && (args[0].equals("backup") || args[0].equals("restore"));
    }

    /**
     * Runs a data command.
     *
     * @return the exit status: 0 done, 1 refused or failed (nothing changed), 2 bad usage
     */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String command = args[0];
        Optional<Path> file = Optional.empty();
        Optional<Path> config = Optional.ofNullable(env.get("PGFLEET_CONFIG")).filter(s -> !s.isBlank()).map(Path::of);
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                config = Optional.of(Path.of(args[++i]));
            } else if (args[i].startsWith("-") || file.isPresent()) {
                err.println("pgfleet " + command + ": unexpected argument '" + args[i] + "'");
                err.println(USAGE);
                return 2;
            } else {
                file = Optional.of(Path.of(args[i]));
            }
        }
        if (file.isEmpty()) {
            err.println("pgfleet " + command + ": FILE is required");
            err.println(USAGE);
            return 2;
        }
        ServerSettings settings;
        try {
            settings = ServerSettings.load(config, env);
        } catch (RuntimeException e) {
            err.println("pgfleet " + command + ": " + e.getMessage());
            return 2;
        }
        if (settings.dbUrl().isPresent()) {
            err.println("pgfleet " + command + ": the server uses an external PostgreSQL (PGFLEET_DB_URL); back it up and "
                    + "restore it with PostgreSQL's own tools (pg_dump/pg_restore, pg_basebackup): docs/operations.md");
            return 1;
        }
        Path dataDir = settings.dataDir().toAbsolutePath();
        try {
            if (command.equals("backup")) {
                DatabaseBackup.Summary s = DatabaseBackup.backup(dataDir, file.get());
                out.println("pgfleet backup: wrote " + file.get().toAbsolutePath() + " (schema version " + s.schemaVersion()
                        + ", " + s.rows().size() + " tables, " + s.totalRows() + " rows) from " + dataDir);
            } else {
                DatabaseBackup.Summary s = DatabaseBackup.restore(file.get(), dataDir);
                out.println("pgfleet restore: restored " + file.get().toAbsolutePath() + " (schema version " + s.schemaVersion()
                        + ", " + s.totalRows() + " rows) into " + dataDir + s.replacedKeptAs()
                        .map(kept -> "; the database it replaced is kept as " + kept + " (delete it once the server runs well)")
                        .orElse("") + ". Agents registered after the backup are unknown to it: create each again"
                        + " under its id ('pgfleet collectors create ID'), then issue it a token ('pgfleet collectors enrol"
                        + " ID') and give it to the agent as its enrolment_token_file; an agent refused for a refresh token"
                        + " newer than the backup needs only the token");
            }
            return 0;
        } catch (DatabaseBackup.BackupException e) {
            err.println("pgfleet " + command + ": " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            err.println("pgfleet " + command + ": failed, nothing was changed: " + e);
            return 1;
        }
    }
}
