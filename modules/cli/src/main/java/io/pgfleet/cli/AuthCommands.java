package io.pgfleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.node.ObjectNode;

import java.io.Console;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code pgfleet login}, {@code logout}, {@code whoami}. */
final class AuthCommands {

    private AuthCommands() {
    }

    /** Reads a secret: all of standard input with {@code --password-stdin}, else a terminal prompt. */
    static String secret(Context ctx, boolean fromStdin, String prompt) {
        if (fromStdin) {
            try {
                // Bounded and strict like a document: a password is never guessed from other bytes.
                String s = DocumentInput.decode(DocumentInput.bounded(ctx.in(), "<stdin>", DocumentInput.MAX_DOCUMENT_BYTES),
                        "<stdin>");
                s = s.endsWith("\r\n") ? s.substring(0, s.length() - 2) : s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
                if (s.isEmpty()) {
                    throw new CliException(ExitCodes.USAGE, "nothing on standard input");
                }
                return s;
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot read standard input: " + e.getMessage());
            }
        }
        Console console = System.console();
        if (console == null) {
            throw new CliException(ExitCodes.USAGE, "no terminal to ask for the password; use --password-stdin");
        }
        char[] chars = console.readPassword("%s", prompt);
        if (chars == null || chars.length == 0) {
            throw new CliException(ExitCodes.USAGE, "no password given");
        }
        return new String(chars);
    }

    @Command(name = "login", mixinStandardHelpOptions = true,
            description = {"Log in and cache the token pair (mode 0600) in the configuration directory "
                    + "(PGFLEET_CONFIG_DIR, else $XDG_CONFIG_HOME/pgfleet, else ~/.config/pgfleet).",
                    "Later commands refresh the access token by themselves; log in again only when the session ends "
                            + "(30 days unused, password change, user disabled)."})
    static final class Login implements Callable<Integer> {

        @Option(names = {"-u", "--username"}, description = "the user (env PGFLEET_USERNAME; asked on a terminal otherwise)")
        String username;

        @Option(names = "--password-stdin", description = "read the password from standard input instead of a prompt")
        boolean passwordStdin;

        private final Context ctx;

        Login(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String user = username != null ? username : ctx.env("PGFLEET_USERNAME").orElseGet(this::askUser);
            String password = secret(ctx, passwordStdin, "Password for " + user + ": ");
            ServerApi api = ctx.api();
            ObjectNode body = Output.JSON.createObjectNode().put("username", user).put("password", password);
            ServerApi.Reply r = api.callAnonymous(ServerApi.Call.json("POST", "/api/v1/auth/login", body), Set.of(401));
            if (r.status() == 401) {
                throw new CliException(ExitCodes.AUTH, "login refused: wrong user name or password, or the user is disabled");
            }
            Session s = api.session(r.json(), api.base());
            ServerApi.Replaced replaced = api.store(s);
            replaced.left().ifPresent(where -> {
                ctx.err().println("pgfleet: the session stored before for " + where + " is replaced but not ended:"
                        + " its tokens stay valid there until they expire");
                ctx.err().flush();
            });
            ctx.output().message("Logged in to " + s.server() + " as " + s.subject() + " (" + s.role() + ")",
                    Output.JSON.createObjectNode().put("server", s.server()).put("subject", s.subject())
                            .put("role", s.role()).put("expires_at", s.expiresAt().toString()));
            return ExitCodes.OK;
        }

        private String askUser() {
            Console console = System.console();
            String name = console == null ? null : console.readLine("User name: ");
            if (name == null || name.isBlank()) {
                throw new CliException(ExitCodes.USAGE, "no user name; use --username");
            }
            return name.trim();
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true,
            description = "End the session on the server (its tokens stop working everywhere) and forget it here.")
    static final class Logout implements Callable<Integer> {

        private final Context ctx;

        Logout(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ServerApi.Logout out = ctx.api().logout();
            if (out.hadSession() && !out.endedOnServer()) {
                // Forgotten here all the same; the server's copy ends when its refresh token expires.
                ctx.err().println("pgfleet: the server could not be told (" + out.why() + "); the session is forgotten"
                        + " here, and its tokens stay valid on the server until they expire");
                ctx.err().flush();
            }
            ctx.output().message(!out.hadSession() ? "Not logged in"
                            : out.endedOnServer() ? "Logged out (the session ended on the server)" : "Logged out here",
                    Output.JSON.createObjectNode().put("logged_out", out.hadSession())
                            .put("ended_on_server", out.endedOnServer()));
            return ExitCodes.OK;
        }
    }

    @Command(name = "whoami", mixinStandardHelpOptions = true,
            description = "Show who the session is for, as the server says now (the cached values, labelled so, when"
                    + " the server cannot be reached).")
    static final class Whoami implements Callable<Integer> {

        private final Context ctx;

        Whoami(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            Session s;
            String source = "server";
            try {
                // The server's word, not the cache's: a role changed since the login shows at once.
                s = ctx.api().confirmed();
            } catch (CliException e) {
                if (e.exitCode() != ExitCodes.UNAVAILABLE) {
                    throw e;
                }
                s = ctx.api().cached();
                source = "cache";
                ctx.err().println("pgfleet: " + e.getMessage() + "; showing the cached session, which may be out of date");
                ctx.err().flush();
            }
            ctx.output().object(Output.JSON.createObjectNode().put("server", s.server()).put("subject", s.subject())
                    .put("role", s.role()).put("access_token_expires_at", s.expiresAt().toString())
                    .put("source", source));
            return ExitCodes.OK;
        }
    }
}
