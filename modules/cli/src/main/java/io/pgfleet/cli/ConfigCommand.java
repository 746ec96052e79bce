package io.pgfleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code pgfleet config …}: read, publish, edit, compare and roll back collector configurations. Put,
 * history, diff and rollback are the verbs every versioned document has ({@link LayerCommands}), on
 * the collector's own layer.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Read, publish, edit, compare, roll back and watch collectors' configurations.",
        subcommands = {ConfigCommand.Get.class, ConfigCommand.Put.class, ConfigCommand.Edit.class,
                ConfigCommand.History.class, ConfigCommand.Diff.class, ConfigCommand.Rollback.class,
                ConfigCommand.Validate.class, ConfigCommand.Watch.class})
final class ConfigCommand {

    private ConfigCommand() {
    }

    static String path(String id) {
        return "/api/v1/config/" + ServerApi.encode(id);
    }

    /** An entity tag as the server wants it: quoted, unless {@code *} or already quoted. */
    static String quoted(String etag) {
        String t = etag.trim();
        return t.equals("*") || t.startsWith("\"") || t.startsWith("W/") ? t : "\"" + t + "\"";
    }

    /**
     * The document a command publishes, validates or rolls out: {@code FILE}, or standard input for
     * {@code -}; bounded and strictly UTF-8 ({@link DocumentInput}), as the server will take it.
     */
    static String readDocument(Context ctx, String file) {
        try {
            if (file.equals("-")) {
                ctx.documentName("<stdin>");
                return DocumentInput.read(ctx.in(), "<stdin>");
            }
            ctx.documentName(file);
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                return DocumentInput.read(in, file);
            }
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.USAGE, "no such file: " + file);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Prints the outcome of a publish or rollback (201 new version, 200 unchanged). */
    static void published(Context ctx, String id, ServerApi.Reply r) {
        JsonNode body = r.json();
        String what = r.status() == 201
                ? "Published " + id + " version " + body.path("version").asInt() + " (etag " + body.path("etag").asString() + ")"
                : "Unchanged: " + id + " already is version " + body.path("version").asInt() + "; nothing stored";
        ctx.output().message(what, body);
    }

    /** Exactly one way of saying which version a change starts from. */
    static final class Precondition {
        @Option(names = "--if-match", paramLabel = "ETAG",
                description = "publish only if the latest version still has this ETag (else exit 3)")
        String ifMatch;

        @Option(names = "--expect-version", paramLabel = "V",
                description = "publish only if the latest version still is V (else exit 3)")
        Integer expectVersion;

        /**
         * Refuses a version that cannot be one before anything is read or sent: versions start at 1,
         * and the server would answer a lookup of version 0 as a stale precondition (exit 3).
         *
         * @param p the precondition given, or null
         */
        static void check(Precondition p) {
            if (p != null && p.expectVersion != null && p.expectVersion < 1) {
                throw new CliException(ExitCodes.USAGE, "--expect-version must be 1 or more (versions start at 1), got "
                        + p.expectVersion);
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = {"Print a collector's configuration document (the effective one by default).",
                    "--own prints the collector's own layer as published (without the fleet and group layers). "
                            + "--version V prints version V of the own layer (versions are the own layer's). On a server "
                            + "without layers the own layer is the whole document, and the CLI falls back to it."})
    static final class Get implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "the collector")
        String id;

        @Option(names = "--version", paramLabel = "V", description = "this version of the own layer instead of the latest")
        Integer version;

        @Option(names = "--own", description = "the collector's own layer, not merged with the fleet and group layers")
        boolean own;

        private final Context ctx;

        Get(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            ServerApi api = ctx.api();
            String layer = "effective";
            ServerApi.Reply r;
            if (version != null) {
                // Numbered versions are the own layer's; there is no /own/versions route.
                r = api.call(ServerApi.Call.get(path(id) + "/versions/" + version));
                layer = "own";
            } else if (own) {
                r = api.call(ServerApi.Call.get(path(id) + "/own"), Set.of(404));
                layer = "own";
                if (r.status() == 404 && r.problemSlug().equals("no-such-endpoint")) {
                    // A server without layers: the own layer is the whole document.
                    r = api.call(ServerApi.Call.get(path(id)));
                } else if (r.status() == 404) {
                    throw api.failure(r);
                }
            } else {
                r = api.call(ServerApi.Call.get(path(id)));
            }
            String document = r.text();
            if (ctx.output().format() == Output.Format.json) {
                ObjectNode o = Output.JSON.createObjectNode()
                        .put("collector_id", id)
                        .put("layer", layer)
                        .put("version", Integer.parseInt(r.header("X-Config-Version").orElse("0")))
                        .put("etag", r.header("ETag").orElse(""))
                        .put("last_modified", r.header("Last-Modified").orElse(""))
                        .put("sources", r.header("X-Config-Sources").orElse(""))
                        .put("document", document);
                ctx.output().json(o);
            } else {
                ctx.out().print(document.endsWith("\n") || document.isEmpty() ? document : document + "\n");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Publish a document as the collector's next version (its own layer).",
                    "Exit 0 when published (or identical to the latest), 2 when the server refuses it (every error is "
                            + "printed as FILE:line:column), 3 when --if-match/--expect-version is stale."})
    static final class Put extends LayerCommands.Put {
        @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.COLLECTOR, description = "the collector")
        String id;

        @Parameters(index = "1", paramLabel = "FILE", description = "the TOML document, '-' for standard input")
        String file;

        Put(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "edit", mixinStandardHelpOptions = true,
            description = {"Open the latest document in $VISUAL or $EDITOR (else vi); when saved and changed, publish it "
                    + "with If-Match on the version you started from.",
                    "When the server refuses it, the editor opens again with the errors as comments at the top; "
                            + "leave the file unchanged to give up. Exit 3 when someone published in between (your edit is kept)."})
    static final class Edit implements Callable<Integer> {
        static final String MARK = "# pgfleet: ";

        @Parameters(index = "0", paramLabel = "ID", description = "the collector")
        String id;

        @Option(names = {"-m", "--message"}, description = "why (stored with the version)")
        String message;

        private final Context ctx;

        Edit(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() throws IOException {
            ServerApi api = ctx.api();
            ServerApi.Reply latest = api.call(ServerApi.Call.get(path(id)), Set.of(404));
            String original = "";
            String etag = null;
            if (latest.status() == 404) {
                if (!latest.problemSlug().equals("no-configuration")) {
                    throw api.failure(latest);
                }
            } else {
                original = latest.text();
                etag = latest.header("ETag").orElse(null);
            }
            Path file = Files.createTempFile("pgfleet-" + id.replaceAll("[^A-Za-z0-9._-]", "_") + "-", ".toml");
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the temp directory's own protection applies
            }
            ctx.documentName(file.toString());
            Files.writeString(file, original);
            String written = original;
            boolean keep = false;
            try {
                while (true) {
                    runEditor(file);
                    String text;
                    try (InputStream in = Files.newInputStream(file)) {
                        text = DocumentInput.read(in, file.toString());
                    } catch (CliException unusable) {
                        // Too large or not UTF-8: refused before it is sent, and the edit is not thrown away.
                        keep = true;
                        throw new CliException(unusable.exitCode(), unusable.getMessage() + " (your edit is kept in "
                                + file + ")");
                    }
                    if (text.equals(written)) {
                        if (written.equals(original)) {
                            ctx.output().message("No change; nothing published",
                                    Output.JSON.createObjectNode().put("collector_id", id).put("published", false));
                            return ExitCodes.OK;
                        }
                        keep = true;
                        throw new CliException(ExitCodes.REFUSED, "the document is still invalid; nothing published (your "
                                + "edit is kept in " + file + ")");
                    }
                    String document = withoutErrorComments(text);
                    if (document.isBlank()) {
                        throw new CliException(ExitCodes.USAGE, "the document is empty; nothing published");
                    }
                    ServerApi.Call call = new ServerApi.Call("PUT", path(id), java.util.Map.of("Content-Type", "application/toml"),
                            document.getBytes(StandardCharsets.UTF_8), ServerApi.REQUEST_TIMEOUT);
                    if (message != null) {
                        call = call.header("X-Change-Message", ServerApi.changeMessageHeader(message));
                    }
                    if (etag != null) {
                        call = call.header("If-Match", etag);
                    }
                    ServerApi.Reply r = api.call(call, Set.of(422, 412));
                    if (r.status() == 412) {
                        keep = true;
                        Files.writeString(file, document);
                        CliException conflict = api.failure(r);
                        throw new CliException(ExitCodes.CONFLICT, conflict.getMessage() + "; your edit is kept in " + file);
                    }
                    if (r.status() == 422) {
                        written = withErrorComments(document, r.json().path("errors"));
                        Files.writeString(file, written);
                        ctx.err().println("pgfleet: the server refused the document; opening it again with the errors");
                        ctx.err().flush();
                        continue;
                    }
                    published(ctx, id, r);
                    return ExitCodes.OK;
                }
            } finally {
                if (!keep) {
                    Files.deleteIfExists(file);
                }
            }
        }

        private void runEditor(Path file) {
            String editor = ctx.env("VISUAL").or(() -> ctx.env("EDITOR")).orElse("vi");
            try {
                // Through the shell, so EDITOR may carry arguments ("code --wait").
                Process p = new ProcessBuilder("sh", "-c", editor + " \"$1\"", "pgfleet-editor", file.toString())
                        .inheritIO().start();
                int exit = p.waitFor();
                if (exit != 0) {
                    throw new CliException(ExitCodes.USAGE, "the editor (" + editor + ") exited with " + exit
                            + "; nothing published");
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot start the editor (" + editor + "): " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.USAGE, "interrupted while editing; nothing published");
            }
        }

        static String withoutErrorComments(String text) {
            List<String> lines = new ArrayList<>(text.lines().toList());
            while (!lines.isEmpty() && lines.get(0).startsWith(MARK)) {
                lines.remove(0);
            }
            return lines.isEmpty() ? "" : String.join("\n", lines) + (text.endsWith("\n") ? "\n" : "");
        }

        /** The document under a comment block listing the errors, their line numbers shifted to match the file. */
        static String withErrorComments(String document, JsonNode errors) {
            List<String> block = new ArrayList<>();
            block.add(MARK + "the server refused this document; nothing was published. Fix it and save,");
            block.add(MARK + "or leave the file unchanged to give up. These lines are removed before publishing.");
            int shift = block.size() + errors.size();
            for (JsonNode e : errors) {
                block.add(MARK + "line " + (e.path("line").asInt() + shift) + ", column " + e.path("column").asInt() + ": "
                        + ServerApi.keyAndMessage(e).replace('\n', ' '));
            }
            return String.join("\n", block) + "\n" + document;
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "List the collector's versions, newest first (its own layer's versions).")
    static final class History extends LayerCommands.History {
        @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.COLLECTOR, description = "the collector")
        String id;

        History(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "Unified diff from version A to version B (empty when they are equal).")
    static final class Diff extends LayerCommands.Diff {
        @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.COLLECTOR, description = "the collector")
        String id;

        @Parameters(index = "1", paramLabel = "A", description = "from this version")
        int from;

        @Parameters(index = "2", paramLabel = "B", description = "to this version")
        int to;

        Diff(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Publish version V's document again as a new version (source rollback:V).")
    static final class Rollback extends LayerCommands.Rollback {
        @Parameters(index = "0", paramLabel = LayerCommands.OnLayer.COLLECTOR, description = "the collector")
        String id;

        @Parameters(index = "1", paramLabel = "V", description = "the version to go back to")
        int version;

        Rollback(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Check a document against the schema on the server without storing anything (exit 2 with "
                    + "every error as FILE:line:column when invalid).")
    static final class Validate implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "the TOML document, '-' for standard input")
        String file;

        private final Context ctx;

        Validate(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            String document = readDocument(ctx, file);
            ServerApi api = ctx.api();
            ServerApi.Reply r = api.call(new ServerApi.Call("POST", "/api/v1/config/validate",
                    java.util.Map.of("Content-Type", "application/toml"), document.getBytes(StandardCharsets.UTF_8),
                    ServerApi.REQUEST_TIMEOUT), Set.of(422));
            if (r.status() == 422 && !r.isProblem()) {
                throw api.failure(r);
            }
            if (r.status() == 422) {
                // The server's detail is the one a refused publish gets ("…; nothing was stored: …"), which
                // reads as if this check could have stored something: it never does.
                throw new CliException(ExitCodes.REFUSED, invalid(ctx.documentName(), r.json()), api.failure(r).details());
            }
            JsonNode body = r.json();
            ctx.output().message(ctx.documentName() + ": valid (effective sha256 " + body.path("effective_sha256").asString()
                    + ")", body);
            return ExitCodes.OK;
        }

        /** The headline of an invalid document: how many errors (and how many are listed), the errors follow. */
        static String invalid(String document, JsonNode problem) {
            int listed = problem.path("errors").size();
            int total = problem.path("total").asInt(listed);
            return document + " is invalid: " + total + (total == 1 ? " error" : " errors")
                    + (total > listed ? " (the first " + listed + " listed)" : "");
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Wait for new versions and print each as it is published (long-poll; one line per version, "
                    + "one JSON object per line with --output json).", "Runs until interrupted, or until the first change with --once.",
                    "When the server cannot be reached or answers 502, 503 or 504 (a restart, a proxy that lost it), says so "
                            + "once on standard error, retries after 1 s, doubling to 30 s, and watches on after the last "
                            + "version printed, saying so once it answers again; --give-up-after bounds how long."})
    static final class Watch implements Callable<Integer> {
        /** The first wait before retrying a server that went away; each next one doubles, up to {@link #MAX_RETRY}. */
        static final Duration FIRST_RETRY = Duration.ofSeconds(1);
        /** The longest wait between two attempts to reach a server that went away. */
        static final Duration MAX_RETRY = Duration.ofSeconds(30);

        @Parameters(index = "0", paramLabel = "ID", description = "the collector")
        String id;

        @Option(names = "--after", paramLabel = "V", description = "report versions newer than V (default: the latest now)")
        Integer after;

        @Option(names = "--wait", defaultValue = "55", paramLabel = "SECONDS",
                description = "how long each poll is held open by the server (1-60, default ${DEFAULT-VALUE})")
        int wait;

        @Option(names = "--once", description = "exit after the first new version")
        boolean once;

        @Option(names = "--document", description = "print the document with each version (table output)")
        boolean document;

        @Option(names = "--give-up-after", paramLabel = "SECONDS",
                description = "stop retrying once the server has been away this long, and exit with the last failure's "
                        + "code (6); 0 ends at the first failure (default: retry until interrupted)")
        Long giveUpAfter;

        private final Context ctx;

        Watch(Context ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            if (wait < 1 || wait > 60) {
                throw new CliException(ExitCodes.USAGE, "--wait is 1 to 60 seconds");
            }
            if (giveUpAfter != null && giveUpAfter < 0) {
                throw new CliException(ExitCodes.USAGE, "--give-up-after must be 0 or more seconds");
            }
            ServerApi api = ctx.api();
            Retrying retrying = new Retrying(api.base());
            int seen;
            if (after != null) {
                seen = after;
            } else {
                ServerApi.Reply now = retrying.call(() -> api.call(ServerApi.Call.get(path(id)), Set.of(404)), id);
                if (now.status() == 404 && !now.problemSlug().equals("no-configuration")) {
                    throw api.failure(now);
                }
                seen = now.status() == 404 ? 0 : Integer.parseInt(now.header("X-Config-Version").orElse("0"));
            }
            Output out = ctx.output();
            while (true) {
                // After a failure the watch goes on from the last version printed: what was published
                // while the server was away comes at once, and nothing printed comes again.
                int from = seen;
                ServerApi.Reply r = retrying.call(() -> api.call(ServerApi.Call.get(path(id) + "?wait=" + wait + "&after="
                        + from).timeout(Duration.ofSeconds(wait + 30L))), id + " for versions after " + from);
                if (r.status() == 304) {
                    continue;
                }
                seen = Integer.parseInt(r.header("X-Config-Version").orElse(Integer.toString(seen)));
                String etag = r.header("ETag").orElse("");
                if (out.format() == Output.Format.table) {
                    // The headers are the server's text like any other: shown, not passed to the terminal.
                    ctx.out().println(Output.printable(id + " version " + seen + " " + etag + " "
                            + r.header("Last-Modified").orElse("")));
                    if (document) {
                        ctx.out().print(r.text());
                    }
                } else {
                    ObjectNode o = Output.JSON.createObjectNode().put("collector_id", id).put("version", seen)
                            .put("etag", etag).put("document", r.text());
                    if (out.format() == Output.Format.json) {
                        ctx.out().println(Output.JSON.writeValueAsString(o));
                    } else {
                        out.toml(o);
                    }
                }
                if (ctx.out().checkError()) {
                    // Nobody reads what is printed (a closed pipe, a full disk): watching on would hold a
                    // poll for nothing, forever. The failure is reported on the way out.
                    return ExitCodes.OK;
                }
                if (once) {
                    return ExitCodes.OK;
                }
            }
        }

        /**
         * Requests retried while the server is away ({@link CliException#transientCause()}): a restart,
         * a lost connection, a proxy answering 502 or 504. One line on standard error when it goes away
         * and one when it answers again, whatever the number of attempts between; waits of
         * {@link #FIRST_RETRY} doubling to {@link #MAX_RETRY}, so a long outage costs a request every
         * 30 s; at most {@code --give-up-after} seconds in all. What retrying cannot mend (refused
         * credentials, a role not allowed, a collector not found or decommissioned, TLS) ends the
         * watch at once.
         */
        private final class Retrying {
            private final String server;
            private long awaySince = -1;
            private Duration next = FIRST_RETRY;

            Retrying(String server) {
                this.server = server;
            }

            ServerApi.Reply call(java.util.function.Supplier<ServerApi.Reply> request, String watching) {
                while (true) {
                    ServerApi.Reply r;
                    try {
                        r = request.get();
                    } catch (CliException failure) {
                        if (failure.transientCause().isEmpty()) {
                            throw failure;
                        }
                        pause(failure, watching);
                        continue;
                    }
                    if (awaySince >= 0) {
                        ctx.err().println("pgfleet: the server at " + server + " answers again; watching " + watching);
                        ctx.err().flush();
                        awaySince = -1;
                        next = FIRST_RETRY;
                    }
                    return r;
                }
            }

            private void pause(CliException failure, String watching) {
                long now = System.nanoTime();
                boolean first = awaySince < 0;
                if (first) {
                    awaySince = now;
                }
                Duration away = Duration.ofNanos(now - awaySince);
                Duration left = giveUpAfter == null ? null : Duration.ofSeconds(giveUpAfter).minus(away);
                if (left != null && !left.isPositive()) {
                    if (giveUpAfter == 0) {
                        throw failure;
                    }
                    throw new CliException(failure.exitCode(), failure.getMessage() + "; gave up after "
                            + away.toSeconds() + " s of retrying (--give-up-after " + giveUpAfter + ")", failure.details());
                }
                if (first) {
                    ctx.err().println(Output.printable("pgfleet: lost the server at " + server + " ("
                            + failure.transientCause().orElseThrow() + "); retrying (after " + FIRST_RETRY.toSeconds()
                            + " s, doubling to " + MAX_RETRY.toSeconds() + " s" + (giveUpAfter == null ? ""
                            : ", for at most " + giveUpAfter + " s") + ") to watch " + watching));
                    ctx.err().flush();
                }
                Duration sleep = left != null && left.compareTo(next) < 0 ? left : next;
                next = next.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : next.multipliedBy(2);
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw failure;
                }
            }
        }
    }
}
