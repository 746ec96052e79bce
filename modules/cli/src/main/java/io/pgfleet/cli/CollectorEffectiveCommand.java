package io.pgfleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code pgfleet collectors effective ID}: every key of a collector's effective configuration
 * with its value and the layer it comes from ({@code fleet@1}, {@code group/prod@2},
 * {@code collector@3}, {@code default}).
 */
@Command(name = "effective", mixinStandardHelpOptions = true,
        description = {"Show a collector's effective configuration key by key: the value and the layer it comes from "
                + "(fleet@V, group/G@V, collector@V, or default).",
                "When the layers no longer compose into a valid document, their errors are listed instead (exit 0: "
                        + "the answer is the server's state, not a refusal)."})
final class CollectorEffectiveCommand implements Callable<Integer> {

    static final List<Output.Column> KEYS = List.of(Output.Column.of("KEY", "key"), Output.Column.of("VALUE", "value"),
            Output.Column.of("SOURCE", "source"));
    static final List<Output.Column> ERRORS = List.of(Output.Column.of("LAYER", "layer"), Output.Column.of("LINE", "line"),
            Output.Column.of("COLUMN", "column"), Output.Column.of("KEY", "key"), Output.Column.of("MESSAGE", "message"));

    @Parameters(index = "0", paramLabel = "ID", description = "the collector")
    String id;

    private final Context ctx;

    CollectorEffectiveCommand(Context ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        JsonNode answer = ctx.api().call(ServerApi.Call.get("/api/v1/collectors/" + ServerApi.encode(id) + "/effective")).json();
        boolean valid = answer.path("valid").asBoolean(true);
        if (ctx.output().format() == Output.Format.table) {
            List<String> sources = answer.path("sources").valueStream().map(Output::text).toList();
            ctx.out().println(id + " revision " + Output.text(answer.path("revision")) + (valid ? "" : " (layers invalid)")
                    + ", sources: " + (sources.isEmpty() ? "-" : String.join(", ", sources)));
        }
        if (!valid) {
            ctx.output().list(answer, answer.path("errors"), ERRORS);
            return ExitCodes.OK;
        }
        ArrayNode rows = Output.JSON.createArrayNode();
        for (Map.Entry<String, JsonNode> k : answer.path("keys").properties()) {
            rows.addObject().put("key", k.getKey()).put("source", k.getValue().path("source").asString())
                    .set("value", k.getValue().path("value"));
        }
        ctx.output().list(answer, rows, KEYS);
        return ExitCodes.OK;
    }
}
