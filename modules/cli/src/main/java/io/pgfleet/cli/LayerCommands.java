package io.pgfleet.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The verbs every versioned document has: put, history, diff and rollback for the fleet layer, a
 * group's layer and a collector's own layer, and get for the shared layers ({@code config get} has
 * its own: it prints the effective document by default). {@link FleetCommand}, {@link GroupsCommand}
 * and {@link ConfigCommand} declare the commands and their positional parameters (a group layer's
 * commands take the group id first, labelled {@code GROUP}; a collector's take its id, labelled
 * {@code ID}).
 */
final class LayerCommands {

    static final String FLEET = "/api/v1/fleet/config";

    private LayerCommands() {
    }

    static String group(String id) {
        return "/api/v1/groups/" + ServerApi.encode(id) + "/config";
    }

    /**
     * One versioned document.
     *
     * @param path    its resource, e.g. {@code /api/v1/fleet/config}
     * @param label   how messages name it: {@code fleet}, {@code group/prod}, a collector's id
     * @param idField the field that names it in JSON and TOML output ({@code layer}, {@code collector_id})
     */
    record Layer(String path, String label, String idField) {
        /** The columns of {@code history} as a table: the same for a collector's own layer as for the shared ones. */
        static final List<Output.Column> HISTORY = List.of(Output.Column.of("VERSION", "version"),
                Output.Column.of("ETAG", "etag"), Output.Column.of("CREATED_AT", "created_at"),
                Output.Column.of("CREATED_BY", "created_by"), Output.Column.of("SOURCE", "source"),
                Output.Column.of("MESSAGE", "message"));

        static Layer fleet() {
            return new Layer(FLEET, "fleet", "layer");
        }

        static Layer group(String id) {
            return new Layer(LayerCommands.group(id), "group/" + id, "layer");
        }

        static Layer own(String collectorId) {
            return new Layer(ConfigCommand.path(collectorId), collectorId, "collector_id");
        }

        /** A JSON object for output that starts by naming this document. */
        ObjectNode shown() {
            return Output.JSON.createObjectNode().put(idField, label);
        }
    }

    /**
     * A command acting on one document: the group's layer when the command has a {@code GROUP}
     * parameter (declared by each group command, first), the collector's own when it has an
     * {@code ID} parameter, else the fleet's.
     */
    abstract static class OnLayer {
        static final String GROUP = "GROUP";
        static final String COLLECTOR = "ID";

        final Context ctx;

        @Spec
        CommandSpec spec;

        OnLayer(Context ctx) {
            this.ctx = ctx;
        }

        /**
         * The value of the positional parameter with this label. The commands declare their
         * positional parameters themselves (their indexes depend on whether a group comes first);
         * the verbs read them here, by name.
         */
        final <T> Optional<T> argument(String label) {
            return spec.positionalParameters().stream().filter(p -> p.paramLabel().equals(label))
                    .map(p -> p.<T>getValue()).findFirst();
        }

        final Layer layer() {
            return this.<String>argument(GROUP).map(Layer::group)
                    .or(() -> this.<String>argument(COLLECTOR).map(Layer::own))
                    .orElseGet(Layer::fleet);
        }

        /** The layer's resource, e.g. {@code /api/v1/fleet/config}. */
        final String path() {
            return layer().path();
        }

        /** The layer as messages name it: {@code fleet}, {@code group/prod}, a collector's id. */
        final String label() {
            return layer().label();
        }

        /** The If-Match value for a precondition, looking up version V's tag for {@code --expect-version V}. */
        final String ifMatch(ConfigCommand.Precondition p) {
            if (p.ifMatch != null) {
                return ConfigCommand.quoted(p.ifMatch);
            }
            ServerApi.Reply r = ctx.api().call(ServerApi.Call.get(path() + "/versions/" + p.expectVersion), Set.of(404));
            // A missing collector or group fails as itself; a missing version is a stale precondition.
            if (r.status() == 404 && !Set.of("version-not-found", "no-configuration").contains(r.problemSlug())) {
                throw ctx.api().failure(r);
            }
            if (r.status() == 404) {
                throw new CliException(ExitCodes.CONFLICT, "conflict: " + label() + " has no version " + p.expectVersion
                        + "; nothing was published");
            }
            return r.header("ETag").orElseThrow(() -> new CliException(ExitCodes.UNAVAILABLE, "the server sent no ETag"));
        }

        /**
         * Sends a change; a refusal because collectors reached by the layer would become invalid
         * lists each of them with its errors (the layer alone being valid), as every refusal does.
         */
        final void publish(ServerApi.Call call) {
            ConfigCommand.published(ctx, label(), ctx.api().call(call));
        }
    }

    /** {@code get [--version V]}: the layer's document. */
    abstract static class Get extends OnLayer implements Callable<Integer> {
        @Option(names = "--version", paramLabel = "V", description = "this version instead of the latest")
        Integer version;

        Get(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            ServerApi.Reply r = ctx.api().call(ServerApi.Call.get(path() + (version == null ? "" : "/versions/" + version)));
            String text = r.text();
            if (ctx.output().format() == Output.Format.table) {
                ctx.out().print(text.isEmpty() || text.endsWith("\n") ? text : text + "\n");
                return ExitCodes.OK;
            }
            ObjectNode shown = layer().shown();
            shown.put("version", Integer.parseInt(r.header("X-Config-Version").orElse("0")));
            shown.put("etag", r.header("ETag").orElse(""));
            shown.put("last_modified", r.header("Last-Modified").orElse(""));
            ctx.output().message("", shown.put("document", text));
            return ExitCodes.OK;
        }
    }

    /** {@code put FILE|- [--message M] [--if-match ETAG|--expect-version V]}. */
    abstract static class Put extends OnLayer implements Callable<Integer> {
        @Option(names = {"-m", "--message"}, description = "why (stored with the version, at most 1000 characters)")
        String message;

        @ArgGroup(exclusive = true)
        ConfigCommand.Precondition precondition;

        @Option(names = "--force", description = "publish even when collectors lack what their new effective documents "
                + "need (an extension, a database, an agent that knows a key …); they are then marked in the fleet view")
        boolean force;

        Put(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            ConfigCommand.Precondition.check(precondition);
            String file = this.<String>argument("FILE").orElseThrow();
            byte[] document = ConfigCommand.readDocument(ctx, file).getBytes(StandardCharsets.UTF_8);
            ServerApi.Call put = new ServerApi.Call("PUT", path() + (force ? "?force=true" : ""),
                    Map.of("Content-Type", "application/toml"), document,
                    ServerApi.REQUEST_TIMEOUT);
            put = message == null ? put : put.header("X-Change-Message", ServerApi.changeMessageHeader(message));
            publish(precondition == null ? put : put.header("If-Match", ifMatch(precondition)));
            return ExitCodes.OK;
        }
    }

    /** {@code history [--limit N] [--before V]}: the layer's versions, newest first. */
    abstract static class History extends OnLayer implements Callable<Integer> {
        @Option(names = "--limit", defaultValue = "50", description = "at most this many (1-500, default ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--before", paramLabel = "V", description = "only versions older than V (paging)")
        Integer before;

        History(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            StringBuilder q = new StringBuilder(path()).append("/versions?limit=").append(limit);
            if (before != null) {
                q.append("&before=").append(before);
            }
            JsonNode answer = ctx.api().call(ServerApi.Call.get(q.toString())).json();
            ctx.output().list(answer, answer.path("versions"), Layer.HISTORY);
            JsonNode shown = answer.path("versions");
            if (answer.path("next").isString() && !shown.isEmpty()) {
                // A page is not the whole history: say how to see the rest (JSON carries "next" itself).
                ctx.err().println("pgfleet: older versions follow; add --before "
                        + shown.get(shown.size() - 1).path("version").asInt() + " to see them");
                ctx.err().flush();
            }
            return ExitCodes.OK;
        }
    }

    /** {@code diff A B}: a unified diff between two versions of the layer. */
    abstract static class Diff extends OnLayer implements Callable<Integer> {
        Diff(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            int from = this.<Integer>argument("A").orElseThrow();
            int to = this.<Integer>argument("B").orElseThrow();
            ServerApi.Reply r = ctx.api().call(ServerApi.Call.get(path() + "/diff?from=" + from + "&to=" + to));
            if (ctx.output().format() == Output.Format.table) {
                ctx.out().print(r.text());
                return ExitCodes.OK;
            }
            ObjectNode shown = layer().shown().put("from", from).put("to", to);
            shown.put("minimal", Boolean.parseBoolean(r.header("X-Diff-Minimal").orElse("true")));
            ctx.output().message("", shown.put("diff", r.text()));
            return ExitCodes.OK;
        }
    }

    /** {@code rollback V [--message M] [--if-match …|--expect-version …]}: version V's document again. */
    abstract static class Rollback extends OnLayer implements Callable<Integer> {
        @Option(names = {"-m", "--message"}, description = "why")
        String message;

        @ArgGroup(exclusive = true)
        ConfigCommand.Precondition precondition;

        Rollback(Context ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            ConfigCommand.Precondition.check(precondition);
            int version = this.<Integer>argument("V").orElseThrow();
            ObjectNode body = Output.JSON.createObjectNode().put("to_version", version);
            if (message != null) {
                body.put("message", message);
            }
            ServerApi.Call post = ServerApi.Call.json("POST", path() + "/rollback", body);
            publish(precondition == null ? post : post.header("If-Match", ifMatch(precondition)));
            return ExitCodes.OK;
        }
    }
}
