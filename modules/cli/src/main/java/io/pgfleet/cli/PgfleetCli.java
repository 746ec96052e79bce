package io.pgfleet.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code pgfleet} command line: builds the picocli command tree, runs one command and maps
 * its outcome to an {@link ExitCodes exit code}. Failures print one line ({@code pgfleet: …}) on
 * standard error, never a stack trace (set {@code PGFLEET_DEBUG=1} to see one).
 */
public final class PgfleetCli {

    private PgfleetCli() {
    }

    /** The options every command accepts. */
    @Command(name = "pgfleet", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "The pgfleet operator CLI: configurations, collectors, users and the audit trail, "
                    + "through the server's HTTP API.",
            subcommands = {AuthCommands.Login.class, AuthCommands.Logout.class, AuthCommands.Whoami.class,
                    ConfigCommand.class, CollectorsCommand.class, UsersCommand.class, AuditCommand.class,
                    FleetCommand.class, GroupsCommand.class, RolloutsCommand.class,
                    HelpCommand.class, AutoComplete.GenerateCompletion.class},
            footer = {"", "Exit codes: 0 ok, 1 usage (also: unreadable input, unwritable output), 2 refused input (400/413/422), 3 conflict (409/412), "
                    + "4 not found, 5 authentication/authorisation, 6 server unavailable, 7 rate-limited."})
    static final class Globals implements Runnable {

        @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "URL",
                description = "the server (env PGFLEET_SERVER; default: the one you logged in to, else "
                        + Context.DEFAULT_SERVER + ")")
        String server;

        @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
                description = "table, json or toml (env PGFLEET_OUTPUT; default table)")
        Output.Format output;

        @Option(names = "--ca-file", scope = ScopeType.INHERIT, paramLabel = "PEM",
                description = "trust this CA for an https server (env PGFLEET_CA_FILE)")
        Path caFile;

        @Option(names = "--cert", scope = ScopeType.INHERIT, paramLabel = "PEM",
                description = "client certificate chain for mTLS (env PGFLEET_CLIENT_CERT)")
        Path cert;

        @Option(names = "--key", scope = ScopeType.INHERIT, paramLabel = "PEM",
                description = "its private key, unencrypted PKCS#8 (env PGFLEET_CLIENT_KEY)")
        Path key;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "a command is missing");
        }
    }

    /** The version shown by {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PgfleetCli.class.getPackage().getImplementationVersion();
            return new String[] {"pgfleet CLI " + (v == null ? "(development build)" : v)};
        }
    }

    /**
     * Runs one command line.
     *
     * <p>Standard output is checked before returning: a command whose output could not be written
     * (a full disk, a closed pipe) has not done what a script asked of it ({@code pgfleet fleet get >
     * backup.toml}), so it does not exit 0. A {@link PrintStream} hides the cause of such a failure,
     * which is why {@link Main} passes the plain file descriptor.
     *
     * @param args   the arguments
     * @param env    the environment
     * @param stdin  standard input (passwords with --password-stdin, documents from '-')
     * @param stdout standard output
     * @param stderr standard error
     * @return the exit code; {@link ExitCodes#USAGE} when the command succeeded but its output could
     *         not be written
     */
    /** What the platform says when the reading end of a pipe was closed (EPIPE). */
    private static final String BROKEN_PIPE = "Broken pipe";

    public static int run(String[] args, Map<String, String> env, InputStream stdin, OutputStream stdout, PrintStream stderr) {
        CheckedOutput checked = new CheckedOutput(stdout);
        PrintWriter out = new PrintWriter(new OutputStreamWriter(checked, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true);
        Context ctx = new Context(env, stdin, out, err);
        boolean debug = env.containsKey("PGFLEET_DEBUG");
        try {
            int exit = commandLine(ctx, debug).execute(args);
            // checkError flushes first, so what is still buffered is written (or fails) here.
            boolean failed = out.checkError() | checked.failure() != null
                    | (stdout instanceof PrintStream ps && ps.checkError());
            if (failed) {
                IOException cause = checked.failure();
                // A reader that closed the pipe (pgfleet collectors | head) took what it wanted: no
                // message, as a tool that SIGPIPE ends prints none, but no 0 either (pipefail sees it).
                if (cause == null || !BROKEN_PIPE.equals(cause.getMessage())) {
                    err.println("pgfleet: could not write the output: " + (cause == null ? "the output stream failed"
                            : Output.printable(String.valueOf(cause.getMessage()))));
                }
                // A command that failed anyway keeps its own code, which says more.
                return exit == ExitCodes.OK ? ExitCodes.USAGE : exit;
            }
            return exit;
        } finally {
            err.flush();
        }
    }

    /**
     * Passes bytes through and remembers the first write failure, which a {@link PrintWriter} would
     * otherwise reduce to a flag.
     */
    private static final class CheckedOutput extends FilterOutputStream {

        private IOException failure;

        CheckedOutput(OutputStream out) {
            super(out);
        }

        IOException failure() {
            return failure;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw remembered(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                // Whole arrays, not FilterOutputStream's byte at a time.
                out.write(b, off, len);
            } catch (IOException e) {
                throw remembered(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw remembered(e);
            }
        }

        @Override
        public void close() throws IOException {
            // Standard output outlives the command; closing it is the JVM's business.
            flush();
        }

        private IOException remembered(IOException e) {
            if (failure == null) {
                failure = e;
            }
            return e;
        }
    }

    static CommandLine commandLine(Context ctx, boolean debug) {
        Globals globals = new Globals();
        ctx.globals(globals);
        CommandLine cl = new CommandLine(globals, new Factory(ctx));
        // Registered here, not in CollectorsCommand's list, so that the two evolve independently.
        cl.getSubcommands().get("collectors").addSubcommand(CollectorEffectiveCommand.class);
        RolloutsCommand.Steer.register(cl.getSubcommands().get("rollouts"), ctx);
        cl.setOut(ctx.out());
        cl.setErr(ctx.err());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((e, args) -> {
            ctx.err().println("pgfleet: " + e.getMessage());
            // A mistyped command or option: "Did you mean: pgfleet config history?"
            CommandLine.UnmatchedArgumentException.printSuggestions(e, ctx.err());
            CommandLine sub = e.getCommandLine();
            ctx.err().println(("see: pgfleet help " + sub.getCommandSpec().qualifiedName(" ").replaceFirst("^pgfleet ?", "")).trim());
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException c) {
                // The message and details carry the server's problem text, which may quote hostile input.
                ctx.err().println("pgfleet: " + Output.printable(c.getMessage()));
                c.details().forEach(d -> ctx.err().println(Output.printable(d)));
                return c.exitCode();
            }
            if (debug) {
                e.printStackTrace(ctx.err());
            }
            ctx.err().println("pgfleet: unexpected failure: " + e + " (PGFLEET_DEBUG=1 shows where)");
            return ExitCodes.USAGE;
        });
        return cl;
    }

    /** Makes commands with the shared {@link Context}. */
    private record Factory(Context ctx) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            for (Constructor<?> c : cls.getDeclaredConstructors()) {
                if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == Context.class) {
                    c.setAccessible(true);
                    return cls.cast(c.newInstance(ctx));
                }
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }
}
