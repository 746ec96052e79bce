package io.pgfleet.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What every command works with: the environment, the standard streams, the global options and
 * the lazily made server connection.
 */
final class Context {

    /** Where the CLI goes when nothing says otherwise. */
    static final String DEFAULT_SERVER = "http://localhost:8080";

    private final Map<String, String> env;
    private final InputStream in;
    private final PrintWriter out;
    private final PrintWriter err;
    private PgfleetCli.Globals globals;
    private String documentName = "<document>";
    private ServerApi api;

    Context(Map<String, String> env, InputStream in, PrintWriter out, PrintWriter err) {
        this.env = env;
        this.in = in;
        this.out = out;
        this.err = err;
    }

    void globals(PgfleetCli.Globals g) {
        this.globals = g;
    }

    Map<String, String> env() {
        return env;
    }

    InputStream in() {
        return in;
    }

    PrintWriter out() {
        return out;
    }

    PrintWriter err() {
        return err;
    }

    /** The name validation errors are reported against ({@code FILE:line:column}). */
    String documentName() {
        return documentName;
    }

    void documentName(String name) {
        this.documentName = name;
    }

    Optional<String> env(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    /**
     * The CLI's configuration directory: {@code PGFLEET_CONFIG_DIR}, else
     * {@code $XDG_CONFIG_HOME/pgfleet}, else {@code ~/.config/pgfleet}.
     */
    Path configDir() {
        return env("PGFLEET_CONFIG_DIR").map(Path::of)
                .or(() -> env("XDG_CONFIG_HOME").map(x -> Path.of(x, "pgfleet")))
                .orElseGet(() -> Path.of(System.getProperty("user.home"), ".config", "pgfleet"));
    }

    TokenCache cache() {
        return new TokenCache(configDir(), err());
    }

    Output output() {
        Output.Format f = globals.output != null ? globals.output
                : env("PGFLEET_OUTPUT").map(v -> {
                    try {
                        // Case-insensitive, as --output is.
                        return Output.Format.valueOf(v.strip().toLowerCase(java.util.Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new CliException(ExitCodes.USAGE, "PGFLEET_OUTPUT must be table, json or toml, got '" + v + "'");
                    }
                }).orElse(Output.Format.table);
        return new Output(f, out);
    }

    /**
     * {@code --server}, else {@code PGFLEET_SERVER}, else the server of the cached session, else that
     * of the last session forgotten (so a hint to log in again names it), else localhost.
     */
    String server() {
        return Optional.ofNullable(globals.server).filter(s -> !s.isBlank())
                .or(() -> env("PGFLEET_SERVER"))
                .or(() -> cache().load().map(Session::server))
                .or(() -> cache().lastServer())
                .orElse(DEFAULT_SERVER);
    }

    ServerApi api() {
        if (api == null) {
            api = new ServerApi(server(), Tls.context(
                    Optional.ofNullable(globals.caFile).or(() -> env("PGFLEET_CA_FILE").map(Path::of)),
                    Optional.ofNullable(globals.cert).or(() -> env("PGFLEET_CLIENT_CERT").map(Path::of)),
                    Optional.ofNullable(globals.key).or(() -> env("PGFLEET_CLIENT_KEY").map(Path::of))),
                    cache(), this);
        }
        return api;
    }
}
