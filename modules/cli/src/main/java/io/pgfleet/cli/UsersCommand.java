package io.pgfleet.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code pgfleet users …}: administrators manage users. */
@Command(name = "users", mixinStandardHelpOptions = true,
        description = "List users (admin only), or create and change them.",
        subcommands = {UsersCommand.Create.class, UsersCommand.Update.class})
final class UsersCommand implements Callable<Integer> {

    private final Context ctx;

    UsersCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        JsonNode answer = ctx.api().call(ServerApi.Call.get("/api/v1/users")).json();
        ctx.output().list(answer, answer.path("users"), List.of(Output.Column.of("USERNAME", "username"),
                Output.Column.of("ROLE", "role"), Output.Column.of("ENABLED", "enabled"),
                Output.Column.of("CREATED_AT", "created_at")));
        return ExitCodes.OK;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a user (password of at least 12 characters, asked for or read with --password-stdin).")
    static final class Create implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "USERNAME")
        String username;

        @Option(names = "--role", required = true, description = "admin, operator or viewer")
        String role;

        @Option(names = "--password-stdin", description = "read the password from standard input")
        boolean passwordStdin;

        private final Context ctx;

        Create(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String password = AuthCommands.secret(ctx, passwordStdin, "Password for " + username + ": ");
            ObjectNode body = Output.JSON.createObjectNode().put("username", username).put("password", password)
                    .put("role", role);
            JsonNode user = ctx.api().call(ServerApi.Call.json("POST", "/api/v1/users", body)).json();
            ctx.output().message("Created user " + username + " (" + user.path("role").asString() + ")", user);
            return ExitCodes.OK;
        }
    }

    /** Enabling and disabling exclude each other. */
    static final class Enablement {
        @Option(names = "--enable", description = "let the user log in again")
        boolean enable;

        @Option(names = "--disable", description = "stop the user: refresh tokens revoked at once")
        boolean disable;
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Change a user's role, password or whether they may log in.")
    static final class Update implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "USERNAME")
        String username;

        @Option(names = "--role", description = "admin, operator or viewer")
        String role;

        @Option(names = "--password-stdin", description = "set the password read from standard input")
        boolean passwordStdin;

        @ArgGroup(exclusive = true)
        Enablement enablement;

        private final Context ctx;

        Update(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ObjectNode body = Output.JSON.createObjectNode();
            if (role != null) {
                body.put("role", role);
            }
            if (passwordStdin) {
                body.put("password", AuthCommands.secret(ctx, true, ""));
            }
            if (enablement != null) {
                body.put("enabled", enablement.enable);
            }
            if (body.isEmpty()) {
                throw new CliException(ExitCodes.USAGE, "nothing to change: give --role, --password-stdin, --enable or --disable");
            }
            JsonNode user = ctx.api().call(ServerApi.Call.json("PATCH", "/api/v1/users/" + ServerApi.encode(username), body))
                    .json();
            ctx.output().message("Updated user " + username + ": role " + user.path("role").asString() + ", "
                    + (user.path("enabled").asBoolean() ? "enabled" : "disabled"), user);
            return ExitCodes.OK;
        }
    }
}
