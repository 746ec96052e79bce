package io.pgfleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code pgfleet rollouts …}: staged rollouts of a fleet or group layer version, wave by wave,
 * rolled back by the server when the members' own apply reports say the version fails. The steering
 * commands (pause, resume, promote, abort) are {@link Steer}, registered by {@link Steer#register}.
 */
@Command(name = "rollouts", mixinStandardHelpOptions = true,
        description = {"Start, list, show and steer staged rollouts of a fleet or group layer version. "
                + "Without a subcommand: the list."},
        subcommands = {RolloutsCommand.ListRollouts.class, RolloutsCommand.Start.class, RolloutsCommand.Show.class})
final class RolloutsCommand implements Callable<Integer> {

    static final List<Output.Column> COLUMNS = List.of(Output.Column.of("ID", "id"), Output.Column.of("LAYER", "layer"),
            Output.Column.of("VERSION", "staged_version"), Output.Column.of("STATE", "state"),
            new Output.Column("WAVE", n -> n.path("current_wave").asInt() + "/" + n.path("wave_count").asInt()),
            Output.Column.of("BY", "created_by"), Output.Column.of("CREATED", "created_at"),
            Output.Column.of("REASON", "reason"));

    static final List<Output.Column> WAVES = List.of(Output.Column.of("WAVE", "wave"),
            new Output.Column("SPEC", n -> n.path("spec").has("percent") ? n.path("spec").path("percent").asInt() + "%"
                    : Output.text(n.path("spec").path("selector"))),
            Output.Column.of("STATE", "state"), Output.Column.of("MEMBERS", "members"),
            Output.Column.of("APPLIED", "applied"), Output.Column.of("FAILED", "failed"),
            Output.Column.of("PENDING", "pending"), Output.Column.of("SKIPPED", "skipped"));

    private final Context ctx;

    RolloutsCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        return list(ctx, null, 50);
    }

    static int list(Context ctx, String state, int limit) {
        JsonNode answer = ctx.api().call(ServerApi.Call.get("/api/v1/rollouts?limit=" + limit
                + (state == null ? "" : "&state=" + ServerApi.encode(state)))).json();
        ctx.output().list(answer, answer.path("rollouts"), COLUMNS);
        return ExitCodes.OK;
    }

    static String path(long id) {
        return "/api/v1/rollouts/" + id;
    }

    /** A rollout for people: a summary line, its waves as a table, the failures and the timeline; JSON/TOML as is. */
    static void show(Context ctx, JsonNode r) {
        if (ctx.output().format() != Output.Format.table) {
            ctx.output().object(r);
            return;
        }
        // Every text here is someone else's: the change message and author, and the agents' own apply
        // errors quoted in the failures, the reason and the timeline. Shown escaped, never acted on.
        println(ctx, "Rollout " + r.path("id").asLong() + " of " + r.path("layer").asString() + "@"
                + r.path("staged_version").asInt() + (r.path("previous_version").isNull() ? " (no previous version)"
                : " (previous " + r.path("previous_version").asInt() + ")") + ": " + r.path("state").asString()
                + ", wave " + r.path("current_wave").asInt() + " of " + r.path("wave_count").asInt());
        println(ctx, "bake " + r.path("bake_seconds").asInt() + " s, max_failed " + r.path("max_failed").asInt()
                + ", apply deadline " + r.path("apply_deadline_seconds").asInt() + " s; started by "
                + r.path("created_by").asString() + " at " + r.path("created_at").asString()
                + (r.path("message").asString().isEmpty() ? "" : ": " + r.path("message").asString()));
        ctx.output().list(r, r.path("waves"), WAVES);
        for (JsonNode w : r.path("waves")) {
            // Stale and never-seen members the wave did not wait for: the operator's list of hosts to look at.
            List<String> ids = new ArrayList<>();
            w.path("skipped_collectors").forEach(id -> ids.add(id.asString()));
            if (!ids.isEmpty()) {
                int more = w.path("skipped").asInt() - ids.size();
                println(ctx, "  wave " + w.path("wave").asInt() + " skipped (stale or never seen, not waited for): "
                        + String.join(", ", ids) + (more > 0 ? " and " + more + " more" : ""));
            }
        }
        if (!r.path("reason").asString().isEmpty()) {
            println(ctx, "Reason: " + r.path("reason").asString());
        }
        for (JsonNode f : r.path("failures")) {
            println(ctx, "  failed: " + f.path("collector_id").asString() + ": " + f.path("error").asString());
        }
        // Members the rollback could not take back: they still run what they ran (docs/rollouts.md).
        JsonNode stranded = r.path("not_rolled_back");
        for (JsonNode f : stranded.path("members")) {
            println(ctx, "  not rolled back: " + f.path("collector_id").asString() + ": " + f.path("error").asString());
        }
        int notListed = stranded.path("total").asInt() - stranded.path("members").size();
        if (notListed > 0) {
            println(ctx, "  not rolled back: " + notListed + " more");
        }
        ctx.out().println("Timeline:");
        for (JsonNode e : r.path("timeline")) {
            println(ctx, "  " + e.path("at").asString() + "  " + e.path("detail").asString()
                    + (e.path("by").asString().isEmpty() ? "" : " (" + e.path("by").asString() + ")"));
        }
    }

    /** One line of server text, as the terminal should show it ({@link Output#printable}). */
    private static void println(Context ctx, String line) {
        ctx.out().println(Output.printable(line));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List rollouts, newest first.")
    static final class ListRollouts implements Callable<Integer> {
        @Option(names = "--state", paramLabel = "STATE", description = "only running, paused, completed or rolled_back")
        String state;

        @Option(names = "--limit", paramLabel = "N", description = "at most N (1-100, default 50)")
        int limit = 50;

        private final Context ctx;

        ListRollouts(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            return list(ctx, state, limit);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Start a staged rollout of a new version of the fleet layer or a group's layer.",
                    "The version is validated like a publish (exit 2 when invalid), stored as staged and delivered to "
                            + "the first wave at once; the server starts the next wave when every member of the current "
                            + "one applied it and the bake passed, and rolls back by itself when one fails.",
                    "Exit 3 when a rollout already holds the layer or the document is its current version."})
    static final class Start implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "LAYER", description = "fleet or group/GROUP")
        String layer;

        @Parameters(index = "1", paramLabel = "FILE", description = "the layer's new TOML document, '-' for standard input")
        String file;

        @Option(names = "--wave", required = true, paramLabel = "K=V[,K=V…]|P%",
                description = {"a wave, in order (repeat): the members matching a selector (canary=true), or "
                        + "cumulatively the first P percent of the members (25%); the last is 100%"})
        List<String> waves = new ArrayList<>();

        @Option(names = "--bake", paramLabel = "SECONDS",
                description = "how long a wave stays healthy after its last report before the next starts (default 60)")
        Integer bake;

        @Option(names = "--max-failed", paramLabel = "N", description = "failures one wave tolerates (default 0)")
        Integer maxFailed;

        @Option(names = "--deadline", paramLabel = "SECONDS",
                description = "how long a member has to report before it counts as failed (default 600)")
        Integer deadline;

        @Option(names = "--force", description = "start even when members lack what the staged version's effective "
                + "documents need; they are then marked in the fleet view")
        boolean force;

        @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "the change message")
        String message;

        private final Context ctx;

        Start(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ObjectNode body = Output.JSON.createObjectNode().put("layer", layer)
                    .put("document", ConfigCommand.readDocument(ctx, file));
            if (message != null) {
                body.put("message", message);
            }
            ArrayNode list = body.putArray("waves");
            for (String w : waves) {
                if (w.endsWith("%")) {
                    try {
                        list.addObject().put("percent", Integer.parseInt(w.substring(0, w.length() - 1).trim()));
                    } catch (NumberFormatException e) {
                        throw new CliException(ExitCodes.USAGE, "--wave " + w + ": a percentage is a whole number, e.g. 25%");
                    }
                } else {
                    ObjectNode selector = list.addObject().putObject("selector");
                    CollectorsCommand.labels(List.of(w.split(",")), "--wave").forEach(selector::put);
                }
            }
            if (bake != null) {
                body.put("bake_seconds", bake);
            }
            if (maxFailed != null) {
                body.put("max_failed", maxFailed);
            }
            if (deadline != null) {
                body.put("apply_deadline_seconds", deadline);
            }
            JsonNode r = ctx.api().call(ServerApi.Call.json("POST", "/api/v1/rollouts" + (force ? "?force=true" : ""), body)).json();
            if (ctx.output().format() == Output.Format.table) {
                int members = r.path("waves").path(0).path("members").asInt();
                println(ctx, "Started rollout " + r.path("id").asLong() + " of " + r.path("layer").asString() + "@"
                        + r.path("staged_version").asInt() + "; wave 1 of " + r.path("wave_count").asInt() + " has "
                        + members + (members == 1 ? " member" : " members"));
            } else {
                ctx.output().object(r);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show one rollout: its state, each wave's counts, the failures and the timeline.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "the rollout")
        long id;

        private final Context ctx;

        Show(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            show(ctx, ctx.api().call(ServerApi.Call.get(path(id))).json());
            return ExitCodes.OK;
        }
    }

    /**
     * {@code pause}, {@code resume}, {@code promote} and {@code abort}: one command on one rollout,
     * parameterised by what it asks of the server; exit 3 when the rollout's state does not allow it.
     * Registered once per {@link Action} by {@link #register}.
     */
    @Command(mixinStandardHelpOptions = true)
    static final class Steer implements Callable<Integer> {

        /** What a steering command asks: its name (also the route's last segment) and its help. */
        enum Action {
            PAUSE("pause", "Pause a running rollout: no wave is judged or started, nothing rolls back by itself."),
            RESUME("resume", "Resume a paused rollout; the current wave's deadline and bake count from now."),
            PROMOTE("promote", "Skip the remaining waves: the staged version becomes current for every member now."),
            ABORT("abort", "Roll back now: the previous version is published again, as when a wave fails.");

            final String command;
            final String description;

            Action(String command, String description) {
                this.command = command;
                this.description = description;
            }
        }

        @Parameters(index = "0", paramLabel = "ID", description = "the rollout")
        long id;

        private final Context ctx;
        private final Action action;

        Steer(Context ctx, Action action) {
            this.ctx = ctx;
            this.action = action;
        }

        /** Adds one steering command per action to {@code pgfleet rollouts}, after its other subcommands. */
        static void register(CommandLine rollouts, Context ctx) {
            for (Action a : Action.values()) {
                CommandLine command = new CommandLine(new Steer(ctx, a));
                command.getCommandSpec().usageMessage().description(a.description);
                rollouts.addSubcommand(a.command, command);
            }
        }

        @Override
        public Integer call() {
            show(ctx, ctx.api().call(ServerApi.Call.json("POST", path(id) + "/" + action.command,
                    Output.JSON.createObjectNode())).json());
            return ExitCodes.OK;
        }
    }
}
