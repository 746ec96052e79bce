package io.pgfleet.cli;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.toml.TomlMapper;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * How a command prints its answer: {@code table} for people (the default), {@code json} for
 * scripts (the server's own JSON, pretty-printed, so {@code jq} works on it), {@code toml}.
 */
final class Output {

    /** The output formats of {@code --output}. */
    enum Format { table, json, toml }

    /**
     * One column of a table.
     *
     * @param header its heading
     * @param value  its text for a row
     */
    record Column(String header, Function<JsonNode, String> value) {
        static Column of(String header, String field) {
            return new Column(header, n -> text(n.path(field)));
        }
    }

    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TomlMapper TOML = TomlMapper.builder().build();

    private final Format format;
    private final PrintWriter out;

    Output(Format format, PrintWriter out) {
        this.format = format;
        this.out = out;
    }

    Format format() {
        return format;
    }

    /**
     * Prints a list answer: as a table of the given columns, or the whole answer as JSON/TOML.
     *
     * @param answer  the server's answer (an object)
     * @param rows    the array within it that makes the table's rows
     * @param columns the table's columns
     */
    void list(JsonNode answer, JsonNode rows, List<Column> columns) {
        switch (format) {
            case json -> json(answer);
            case toml -> toml(answer);
            case table -> {
                List<List<String>> cells = new ArrayList<>();
                for (JsonNode row : rows) {
                    cells.add(columns.stream().map(c -> c.value().apply(row)).toList());
                }
                table(columns.stream().map(Column::header).toList(), cells);
            }
        }
    }

    /** Prints one object: as {@code key  value} lines, or as JSON/TOML. */
    void object(JsonNode answer) {
        switch (format) {
            case json -> json(answer);
            case toml -> toml(answer);
            case table -> {
                List<List<String>> cells = new ArrayList<>();
                for (Map.Entry<String, JsonNode> e : answer.properties()) {
                    cells.add(List.of(e.getKey(), text(e.getValue())));
                }
                table(List.of(), cells);
            }
        }
    }

    /** Prints a message for people in table mode, or the given object in JSON/TOML mode. */
    void message(String forPeople, JsonNode forScripts) {
        if (format == Format.table) {
            out.println(forPeople);
        } else if (format == Format.json) {
            json(forScripts);
        } else {
            toml(forScripts);
        }
    }

    void json(JsonNode node) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }

    void toml(JsonNode node) {
        // TOML has no null: absent keys say the same.
        JsonNode clean = withoutNulls(node);
        if (!clean.isObject()) {
            ObjectNode wrapped = JsonNodeFactory.instance.objectNode();
            wrapped.set("value", clean);
            clean = wrapped;
        }
        out.print(TOML.writeValueAsString(clean));
        out.flush();
    }

    private void table(List<String> headers, List<List<String>> rows) {
        int columns = headers.isEmpty() ? (rows.isEmpty() ? 0 : rows.get(0).size()) : headers.size();
        int[] width = new int[columns];
        for (int i = 0; i < headers.size(); i++) {
            width[i] = headers.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        if (!headers.isEmpty()) {
            out.println(line(headers, width));
        }
        for (List<String> r : rows) {
            out.println(line(r, width));
        }
    }

    private static String line(List<String> cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            b.append(c);
            if (i < cells.size() - 1) {
                b.append(" ".repeat(width[i] - c.length() + 2));
            }
        }
        return b.toString().stripTrailing();
    }

    /** A JSON value as one line of table text: strings bare, null as "-", objects as k=v lists. */
    static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "-";
        }
        if (n.isString()) {
            String s = n.asString();
            return s.isEmpty() ? "-" : s.replace('\n', ' ');
        }
        if (n.isObject()) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                parts.add(e.getKey() + "=" + (e.getValue().isString() ? e.getValue().asString() : e.getValue().toString()));
            }
            return parts.isEmpty() ? "-" : String.join(",", parts);
        }
        return n.toString();
    }

    private static JsonNode withoutNulls(JsonNode n) {
        if (n.isObject()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                if (!e.getValue().isNull()) {
                    o.set(e.getKey(), withoutNulls(e.getValue()));
                }
            }
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            for (JsonNode e : n) {
                if (!e.isNull()) {
                    a.add(withoutNulls(e));
                }
            }
            return a;
        }
        return n;
    }
}
