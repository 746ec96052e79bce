package io.pgfleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code pgfleet groups …}: groups of collectors chosen by a label selector, and each group's
 * configuration layer (merged over the fleet layer, under the collectors' own documents).
 */
@Command(name = "groups", mixinStandardHelpOptions = true,
        description = {"List, create, change and delete groups (collectors chosen by a label selector), and read or "
                + "publish a group's configuration layer. Without a subcommand: the list."},
        subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Show.class, GroupsCommand.Create.class,
                GroupsCommand.Update.class, GroupsCommand.Delete.class, GroupsCommand.Members.class,
                GroupsCommand.Config.class})
final class GroupsCommand implements Callable<Integer> {

    static final List<Output.Column> COLUMNS = List.of(Output.Column.of("ID", "id"),
            Output.Column.of("PRIORITY", "priority"), Output.Column.of("SELECTOR", "selector"),
            Output.Column.of("DESCRIPTION", "description"));

    private final Context ctx;

    GroupsCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        return list(ctx);
    }

    static int list(Context ctx) {
        JsonNode answer = ctx.api().call(ServerApi.Call.get("/api/v1/groups")).json();
        ctx.output().list(answer, answer.path("groups"), COLUMNS);
        return ExitCodes.OK;
    }

    static String path(String id) {
        return "/api/v1/groups/" + ServerApi.encode(id);
    }

    /** A group's fields as a request body: only those given. */
    static ObjectNode fields(List<String> selector, Integer priority, String description) {
        ObjectNode body = Output.JSON.createObjectNode();
        if (selector != null) {
            ObjectNode s = body.putObject("selector");
            CollectorsCommand.labels(selector, "selector").forEach(s::put);
        }
        if (priority != null) {
            body.put("priority", priority);
        }
        if (description != null) {
            body.put("description", description);
        }
        return body;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the groups.")
    static final class ListGroups implements Callable<Integer> {
        private final Context ctx;

        ListGroups(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            return list(ctx);
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show one group: its selector, priority, description and latest layer version.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "GROUP", description = "the group")
        String id;

        private final Context ctx;

        Show(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ctx.output().object(ctx.api().call(ServerApi.Call.get(path(id))).json());
            return ExitCodes.OK;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a group: the collectors whose labels match every K=V of its selector.",
                    "A deleted group's id is not reused until retention purges the group (exit 3 when the id is taken)."})
    static final class Create implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "GROUP", description = "the group's id")
        String id;

        @Option(names = "--selector", split = ",", paramLabel = "K=V[,K=V…]",
                description = "the labels a collector must all have to be a member (default: none, every collector)")
        List<String> selector = new ArrayList<>();

        @Option(names = "--priority", paramLabel = "N",
                description = "layers merge by ascending priority; the higher wins (-1000000 to 1000000, default 0)")
        Integer priority;

        @Option(names = "--description", paramLabel = "TEXT", description = "what the group is for")
        String description;

        private final Context ctx;

        Create(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ObjectNode body = Output.JSON.createObjectNode().put("id", id);
            body.setAll(fields(selector, priority, description));
            JsonNode created = ctx.api().call(ServerApi.Call.json("POST", "/api/v1/groups", body)).json();
            ctx.output().message("Created group " + id + " (selector " + Output.text(created.path("selector")) + ", priority "
                    + created.path("priority").asInt() + ")", created);
            return ExitCodes.OK;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = {"Change a group's selector, priority or description (the options given; --selector replaces "
                    + "the whole selector).", "Refused (exit 2) when collectors joining the group would get an invalid "
                    + "configuration; nothing changes then."})
    static final class Update implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "GROUP", description = "the group")
        String id;

        @Option(names = "--selector", split = ",", paramLabel = "K=V[,K=V…]", description = "the new selector")
        List<String> selector;

        @Option(names = "--priority", paramLabel = "N", description = "the new priority")
        Integer priority;

        @Option(names = "--description", paramLabel = "TEXT", description = "the new description")
        String description;

        private final Context ctx;

        Update(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ObjectNode body = fields(selector, priority, description);
            if (body.isEmpty()) {
                throw new CliException(ExitCodes.USAGE, "nothing to change: give --selector, --priority or --description");
            }
            ctx.output().object(ctx.api().call(ServerApi.Call.json("PATCH", path(id), body)).json());
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a group; its members lose its layer (refused, exit 2, when that would make one invalid).")
    static final class Delete implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "GROUP", description = "the group")
        String id;

        private final Context ctx;

        Delete(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ctx.api().call(new ServerApi.Call("DELETE", path(id), Map.of(), new byte[0], ServerApi.REQUEST_TIMEOUT));
            ctx.output().message("Deleted group " + id, Output.JSON.createObjectNode().put("id", id).put("deleted", true));
            return ExitCodes.OK;
        }
    }

    @Command(name = "members", mixinStandardHelpOptions = true,
            description = "List the collectors a group's selector matches now, by id (paged: --after the last one shown).")
    static final class Members implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "GROUP", description = "the group")
        String id;

        @Option(names = "--limit", defaultValue = "100", description = "at most this many (default ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--after", paramLabel = "ID", description = "only collectors after this id (paging)")
        String after;

        private final Context ctx;

        Members(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String q = path(id) + "/members?limit=" + limit + (after == null ? "" : "&after=" + ServerApi.encode(after));
            JsonNode answer = ctx.api().call(ServerApi.Call.get(q)).json();
            ctx.output().list(answer, answer.path("members"), List.of(new Output.Column("COLLECTOR", Output::text)));
            JsonNode shown = answer.path("members");
            if (answer.path("next").isString() && !shown.isEmpty()) {
                ctx.err().println("pgfleet: more members follow; add --after " + shown.get(shown.size() - 1).asString()
                        + " to see them");
                ctx.err().flush();
            }
            return ExitCodes.OK;
        }
    }

    /** {@code groups config …}: a group's layer, with the same verbs as the fleet layer. */
    @Command(name = "config", mixinStandardHelpOptions = true,
            description = "Read, publish, compare and roll back a group's configuration layer.",
            subcommands = {Config.Get.class, Config.Put.class, Config.History.class, Config.Diff.class,
                    Config.Rollback.class})
    static final class Config {

        private Config() {
        }

        @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a group's layer.")
        static final class Get extends LayerCommands.Get {
            @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.GROUP, description = "the group")
            String group;

            Get(Context ctx) {
                super(ctx);
            }
        }

        @Command(name = "put", mixinStandardHelpOptions = true,
                description = {"Publish a partial document as the group layer's next version.",
                        "Exit 0 when published (or identical to the latest), 2 when refused (the layer's errors as "
                                + "FILE:line:column, or the members it would make invalid), 3 when --if-match/"
                                + "--expect-version is stale, 4 when the group does not exist."})
        static final class Put extends LayerCommands.Put {
            @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.GROUP, description = "the group")
            String group;

            @Parameters(index = "1", paramLabel = "FILE", description = "the TOML document, '-' for standard input")
            String file;

            Put(Context ctx) {
                super(ctx);
            }
        }

        @Command(name = "history", mixinStandardHelpOptions = true, description = "List a group layer's versions, newest first.")
        static final class History extends LayerCommands.History {
            @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.GROUP, description = "the group")
            String group;

            History(Context ctx) {
                super(ctx);
            }
        }

        @Command(name = "diff", mixinStandardHelpOptions = true,
                description = "Unified diff of a group's layer from version A to version B (empty when they are equal).")
        static final class Diff extends LayerCommands.Diff {
            @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.GROUP, description = "the group")
            String group;

            @Parameters(index = "1", paramLabel = "A", description = "from this version")
            int from;

            @Parameters(index = "2", paramLabel = "B", description = "to this version")
            int to;

            Diff(Context ctx) {
                super(ctx);
            }
        }

        @Command(name = "rollback", mixinStandardHelpOptions = true,
                description = "Publish version V of a group's layer again as a new version (source rollback:V).")
        static final class Rollback extends LayerCommands.Rollback {
            @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.GROUP, description = "the group")
            String group;

            @Parameters(index = "1", paramLabel = "V", description = "the version to go back to")
            int version;

            Rollback(Context ctx) {
                super(ctx);
            }
        }
    }
}
