package io.pgfleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code pgfleet collectors …}: the fleet view and the operator's actions on collectors. */
@Command(name = "collectors", mixinStandardHelpOptions = true,
        description = "List the fleet (which version each collector runs), or act on one collector.",
        subcommands = {CollectorsCommand.Show.class, CollectorsCommand.Create.class, CollectorsCommand.Label.class,
                CollectorsCommand.Revoke.class, CollectorsCommand.Enrol.class})
final class CollectorsCommand implements Callable<Integer> {

    static final List<Output.Column> COLUMNS = List.of(
            Output.Column.of("ID", "id"), Output.Column.of("NAME", "name"), Output.Column.of("HOSTNAME", "hostname"),
            Output.Column.of("LABELS", "labels"), Output.Column.of("LATEST", "latest_version"),
            Output.Column.of("APPLIED", "applied_version"), Output.Column.of("STATUS", "apply_status"),
            Output.Column.of("IN_SYNC", "in_sync"), Output.Column.of("STALE", "stale"),
            Output.Column.of("NEVER_SEEN", "never_seen"), Output.Column.of("REVOKED", "revoked"),
            Output.Column.of("LAST_SEEN", "last_seen_at"));

    @Option(names = "--selector", paramLabel = "K=V[,K=V…]", description = "only collectors with all these labels")
    String selector;

    @Option(names = "--out-of-sync", description = "only collectors seen that do not run what the server wants (never-seen ones left out)")
    boolean outOfSync;

    @Option(names = "--page-size", hidden = true, defaultValue = "" + PAGE_SIZE,
            description = "collectors per request while following the server's pages (1-5000)")
    int pageSize;

    private final Context ctx;

    CollectorsCommand(Context ctx) {
        this.ctx = ctx;
    }

    static Map<String, String> labels(List<String> pairs, String what) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new CliException(ExitCodes.USAGE, what + " '" + p + "' is not KEY=VALUE");
            }
            m.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return m;
    }

    /** Page size the CLI asks the server for; the server's largest page is 5000. */
    static final int PAGE_SIZE = 1000;

    /**
     * The whole fleet view, page after page ({@code next}), with the selector and the in-sync filter
     * applied by the server; filtered on the client as well, because servers before label selectors
     * and paging ignore those parameters and answer everything in one page.
     */
    static JsonNode fleet(Context ctx, Map<String, String> selector, boolean outOfSync, int pageSize) {
        StringBuilder q = new StringBuilder("/api/v1/collectors?limit=").append(pageSize);
        if (outOfSync) {
            q.append("&in_sync=false");
        }
        if (!selector.isEmpty()) {
            q.append("&selector=").append(ServerApi.encode(String.join(",",
                    selector.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())));
        }
        ArrayNode kept = Output.JSON.createArrayNode();
        Set<String> seen = new java.util.HashSet<>();
        String page = q.toString();
        while (true) {
            JsonNode answer = ctx.api().call(ServerApi.Call.get(page)).json();
            for (JsonNode c : answer.path("collectors")) {
                boolean match = selector.entrySet().stream()
                        .allMatch(e -> c.path("labels").path(e.getKey()).asString("\u0000").equals(e.getValue()));
                // A collector listed twice (its page boundary moved while paging) is shown once.
                // Out of sync as the gauge counts it: never-seen collectors are left out on the client, as a
                // server before never_seen would refuse the parameter.
                boolean wanted = !outOfSync || !c.path("in_sync").asBoolean(true) && !c.path("never_seen").asBoolean(false);
                if (match && wanted && seen.add(c.path("id").asString())) {
                    kept.add(c);
                }
            }
            if (!answer.path("next").isString()) {
                break;
            }
            String next = answer.path("next").asString();
            if (!next.startsWith("/api/v1/collectors?") || next.equals(page)) {
                // Following a link elsewhere, or the same page again, would never end well.
                throw new CliException(ExitCodes.UNAVAILABLE, "the server answered an unexpected next page: " + next);
            }
            page = next;
        }
        ObjectNode out = Output.JSON.createObjectNode();
        out.set("collectors", kept);
        return out;
    }

    /**
     * One collector's fleet entry, read on its own ({@code GET /api/v1/collectors/{id}}); a server
     * without that route (405) is read page by page as before. Unknown is exit 4, and so is a
     * decommissioned collector (410, saying when).
     */
    static JsonNode one(Context ctx, String id) {
        ServerApi.Reply r = ctx.api().call(ServerApi.Call.get("/api/v1/collectors/" + ServerApi.encode(id)),
                Set.of(405));
        if (r.status() != 405) {
            return r.json();
        }
        for (JsonNode c : fleet(ctx, Map.of(), false, PAGE_SIZE).path("collectors")) {
            if (c.path("id").asString().equals(id)) {
                return c;
            }
        }
        throw new CliException(ExitCodes.NOT_FOUND, "not found: no collector has the id '" + id + "'");
    }

    @Override
    public Integer call() {
        Map<String, String> sel = selector == null || selector.isBlank() ? Map.of()
                : labels(List.of(selector.split(",")), "selector");
        JsonNode answer = fleet(ctx, sel, outOfSync, pageSize);
        ctx.output().list(answer, answer.path("collectors"), COLUMNS);
        return ExitCodes.OK;
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One collector's fleet entry.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        private final Context ctx;

        Show(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            JsonNode entry = one(ctx, id);
            ctx.output().object(ctx.output().format() == Output.Format.table ? readable(entry) : entry);
            return ExitCodes.OK;
        }

        /**
         * The entry for people: the host's facts one line each ({@code facts.postgres.server_version_num}),
         * and each capability gap on a line of its own, instead of one line of nested JSON.
         */
        static ObjectNode readable(JsonNode entry) {
            ObjectNode out = tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> e : entry.properties()) {
                if (e.getKey().equals("facts") && e.getValue().isObject()) {
                    flatten("facts", e.getValue(), out);
                } else if (e.getKey().equals("capability_gaps") && e.getValue().isArray()) {
                    int i = 0;
                    for (JsonNode gap : e.getValue()) {
                        out.put("capability_gaps[" + i++ + "]", gap.path("capability").asString() + " "
                                + gap.path("key").asString() + ": " + gap.path("message").asString());
                    }
                    if (i == 0) {
                        out.put("capability_gaps", "-");
                    }
                } else {
                    out.set(e.getKey(), e.getValue());
                }
            }
            return out;
        }

        private static void flatten(String prefix, JsonNode node, ObjectNode out) {
            if (node.isObject()) {
                for (Map.Entry<String, JsonNode> e : node.properties()) {
                    flatten(prefix + "." + e.getKey(), e.getValue(), out);
                }
            } else if (node.isArray()) {
                List<String> items = new java.util.ArrayList<>();
                node.forEach(n -> items.add(n.asString()));
                out.put(prefix, items.isEmpty() ? "-" : String.join(", ", items));
            } else {
                out.set(prefix, node);
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Pre-provision a collector before its agent exists (exit 3 when the id is taken).")
    static final class Create implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--name")
        String name;

        @Option(names = "--hostname")
        String hostname;

        @Option(names = {"-l", "--label"}, paramLabel = "K=V", description = "a label (repeatable)")
        List<String> labels = List.of();

        private final Context ctx;

        Create(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ObjectNode body = Output.JSON.createObjectNode().put("id", id);
            Optional.ofNullable(name).ifPresent(n -> body.put("name", n));
            Optional.ofNullable(hostname).ifPresent(h -> body.put("hostname", h));
            ObjectNode l = body.putObject("labels");
            labels(labels, "label").forEach(l::put);
            JsonNode created = ctx.api().call(ServerApi.Call.json("POST", "/api/v1/collectors", body)).json();
            ctx.output().message("Created collector " + created.path("id").asString(), created);
            return ExitCodes.OK;
        }
    }

    @Command(name = "label", mixinStandardHelpOptions = true,
            description = {"Set (K=V) or remove (K-) labels of a collector.",
                    "Needs a server with PATCH /api/v1/collectors/{id}; older servers answer exit 4."})
    static final class Label implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "K=V|K-")
        List<String> changes;

        private final Context ctx;

        Label(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            Map<String, String> labels = new LinkedHashMap<>();
            one(ctx, id).path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString()));
            for (String c : changes) {
                if (c.endsWith("-") && !c.contains("=")) {
                    labels.remove(c.substring(0, c.length() - 1));
                } else {
                    labels.putAll(CollectorsCommand.labels(List.of(c), "label"));
                }
            }
            ObjectNode body = Output.JSON.createObjectNode();
            ObjectNode l = body.putObject("labels");
            labels.forEach(l::put);
            ServerApi api = ctx.api();
            ServerApi.Reply r = api.call(ServerApi.Call.json("PATCH", "/api/v1/collectors/" + ServerApi.encode(id), body),
                    Set.of(404, 405));
            if (r.status() == 405 || r.problemSlug().equals("no-such-endpoint")) {
                throw new CliException(ExitCodes.NOT_FOUND, "this server cannot change labels yet "
                        + "(it has no PATCH /api/v1/collectors/{id})");
            }
            if (r.status() == 404) {
                throw api.failure(r);
            }
            // The server answers the labels it stored; an answer without a body keeps what was sent.
            ctx.output().message("Labels of " + id + ": " + Output.text(l), r.body().length == 0 ? body : r.json());
            return ExitCodes.OK;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Cut a collector off: its tokens stop working at once; its history stays.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        private final Context ctx;

        Revoke(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ctx.api().call(ServerApi.Call.json("POST", "/api/v1/collectors/" + ServerApi.encode(id) + "/revoke",
                    Output.JSON.createObjectNode()));
            ctx.output().message("Revoked " + id, Output.JSON.createObjectNode().put("collector_id", id).put("revoked", true));
            return ExitCodes.OK;
        }
    }

    @Command(name = "enrol", aliases = "enroll", mixinStandardHelpOptions = true,
            description = {"Issue a one-time enrolment token (24 h) for a pre-provisioned collector.",
                    "Prints only the token on standard output (the expiry goes to standard error), so "
                            + "TOKEN=$(pgfleet collectors enrol ID) works."})
    static final class Enrol implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        private final Context ctx;

        Enrol(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            JsonNode answer = ctx.api().call(ServerApi.Call.json("POST",
                    "/api/v1/collectors/" + ServerApi.encode(id) + "/enrolment-token", Output.JSON.createObjectNode())).json();
            if (ctx.output().format() == Output.Format.table) {
                ctx.err().println("one-time enrolment token for " + id + ", valid until "
                        + answer.path("expires_at").asString() + ":");
                ctx.err().flush();
                ctx.out().println(answer.path("enrolment_token").asString());
            } else {
                ctx.output().object(answer);
            }
            return ExitCodes.OK;
        }
    }
}
