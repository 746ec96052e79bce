package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.DatabaseBackup;
import io.pgfleet.adapter.out.postgres.DatabaseNotAnsweringException;
import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.PostgresStorage;
import io.pgfleet.adapter.out.security.Pbkdf2PasswordHasher;
import io.pgfleet.application.port.in.ResetAdministratorPasswordUseCase;
import io.pgfleet.application.port.in.ResetAdministratorPasswordUseCase.Result;
import io.pgfleet.application.service.UseCaseFactory;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * {@code pgfleet-server reset-admin-password --user NAME [--password-stdin] [--config FILE]}: the
 * way back in when every administrator's password is lost. It needs what only the server host has
 * (the server's settings and database credentials, or its data directory), is never offered over
 * the network, and works whether the server runs or not: it writes to the server's database as
 * another client, and a running server sees the change at once.
 *
 * <p>The new password is generated and printed once, or read from standard input
 * ({@code --password-stdin}); never taken from the command line, where other users of the host
 * could read it ({@code ps}).
 */
final class AdminPasswordCommand {

    static final String COMMAND = "reset-admin-password";

    static final String USAGE = """
            usage: pgfleet-server reset-admin-password --user NAME [--password-stdin] [--config FILE]
              Sets a new password for the administrator NAME (when every administrator's password is lost), enables
              them again if they were disabled, ends their sessions and records it in the audit trail. Run it on the
              server host, with the server's settings (same environment or config file); the server may be running.
              The password is generated and shown once, or read from the first line of standard input with
              --password-stdin (at least 12 characters).""";

    private AdminPasswordCommand() {
    }

    /** Whether the arguments are this command. */
    static boolean handles(String[] args) {
        return args.length > 0 && args[0].equals(COMMAND);
    }

    /**
     * Runs the command.
     *
     * @return the exit status: 0 reset, 1 refused or failed (nothing changed), 2 bad usage
     */
    static int run(String[] args, Map<String, String> env, InputStream in, PrintStream out, PrintStream err) {
        Optional<String> user = Optional.empty();
        boolean fromStdin = false;
        Optional<Path> config = Optional.ofNullable(env.get("PGFLEET_CONFIG")).filter(s -> !s.isBlank()).map(Path::of);
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--user" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--user needs a user name");
                    }
                    user = Optional.of(args[++i]);
                }
                case "--password-stdin" -> fromStdin = true;
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--config needs a file");
                    }
                    config = Optional.of(Path.of(args[++i]));
                }
                case "-h", "--help" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> {
                    return usage(err, "unexpected argument '" + args[i] + "'" + (args[i].startsWith("--password")
                            ? " (a password is never given on the command line, where 'ps' shows it: use --password-stdin)"
                            : ""));
                }
            }
        }
        if (user.isEmpty()) {
            return usage(err, "--user NAME is required (the first administrator is 'admin')");
        }
        Username username;
        try {
            username = new Username(user.get());
        } catch (IllegalArgumentException e) {
            return usage(err, "'" + user.get() + "' is not a user name: " + e.getMessage());
        }
        ServerSettings settings;
        try {
            settings = ServerSettings.load(config, env);
        } catch (RuntimeException e) {
            err.println("pgfleet " + COMMAND + ": " + e.getMessage());
            return 2;
        }
        Optional<String> password = Optional.empty();
        if (fromStdin) {
            String line;
            try {
                line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                err.println("pgfleet " + COMMAND + ": cannot read the password from standard input: " + e.getMessage());
                return 1;
            }
            if (line == null || line.isEmpty()) {
                err.println("pgfleet " + COMMAND + ": --password-stdin: standard input held no password; nothing was changed");
                return 1;
            }
            // Characters as the API counts them (code points), not UTF-16 units: six emoji are six.
            if (line.codePointCount(0, line.length()) < User.MIN_PASSWORD_LENGTH) {
                err.println("pgfleet " + COMMAND + ": the password has at least " + User.MIN_PASSWORD_LENGTH
                        + " characters; nothing was changed");
                return 1;
            }
            password = Optional.of(line);
        }
        Optional<String> given = password;
        Result result;
        try {
            result = settings.dbUrl().isPresent()
                    ? reset(new DatabaseSettings(settings.dbUrl().get(), settings.dbUser(), settings.dbPassword(), 1)
                            .withStatementTimeout(settings.dbStatementTimeout()), username, given)
                    : DatabaseBackup.withEmbeddedDatabase(settings.dataDir().toAbsolutePath(),
                            db -> reset(db.withStatementTimeout(settings.dbStatementTimeout()), username, given));
        } catch (DatabaseBackup.BackupException | DatabaseNotAnsweringException | IllegalArgumentException e) {
            err.println("pgfleet " + COMMAND + ": " + e.getMessage() + "; nothing was changed");
            return 1;
        } catch (RuntimeException e) {
            err.println("pgfleet " + COMMAND + ": failed, nothing was changed: " + e);
            return 1;
        }
        return switch (result) {
            case Result.NotFound n -> {
                err.println("pgfleet " + COMMAND + ": there is no user '" + n.username().value()
                        + "'; nothing was changed (the first administrator is 'admin')");
                yield 1;
            }
            case Result.NotAdministrator n -> {
                err.println("pgfleet " + COMMAND + ": '" + n.username().value() + "' is not an administrator (role "
                        + n.role().label() + "); nothing was changed. Only an administrator's password is reset from the host;"
                        + " an administrator resets anyone else's through the API or the console");
                yield 1;
            }
            case Result.Reset r -> {
                out.println("pgfleet " + COMMAND + ": reset the password of administrator '" + username.value() + "'"
                        + (r.reEnabled() ? " and enabled them again" : "") + "; their sessions are ended and the audit trail"
                        + " records it (\"" + ResetAdministratorPasswordUseCase.AUDIT_DETAIL + "\")");
                r.generated().ifPresent(p -> out.println("pgfleet: the new password of '" + username.value() + "' is: " + p
                            + "\n         (shown once; log in and change it, or run again with --password-stdin to choose it)"));
                yield 0;
            }
        };
    }

    private static Result reset(DatabaseSettings db, Username username, Optional<String> password) {
        try (PostgresStorage storage = PostgresStorage.open(db)) {
            // The database's time, as the servers tell it: the audit entry sorts among theirs, and the
            // sessions' revocation times compare with theirs, however far this host's clock is off.
            return UseCaseFactory.administratorRecovery(storage.users(), storage.users(), new Pbkdf2PasswordHasher(),
                    storage.tokens(), PgfleetServer.storedPrecision(storage.clock(Clock.systemUTC()))).reset(username, password);
        }
    }

    private static int usage(PrintStream err, String error) {
        err.println("pgfleet " + COMMAND + ": " + error);
        err.println(USAGE);
        return 2;
    }
}
