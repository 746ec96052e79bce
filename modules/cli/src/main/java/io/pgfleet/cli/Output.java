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
                    cells.add(List.of(printable(e.getKey()), text(e.getValue())));
                }
                table(List.of(), cells);
            }
        }
    }

    /** Prints a message for people in table mode, or the given object in JSON/TOML mode. */
    void message(String forPeople, JsonNode forScripts) {
        if (format == Format.table) {
            out.println(forPeople.lines().map(Output::printable).collect(java.util.stream.Collectors.joining("\n")));
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

    /**
     * A JSON value as one line of table text: strings bare, null as "-", objects as k=v lists; what a
     * terminal would act on instead of showing is shown escaped ({@link #printable}).
     */
    static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "-";
        }
        if (n.isString()) {
            String s = n.asString();
            return s.isEmpty() ? "-" : printable(s);
        }
        if (n.isObject()) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                parts.add(e.getKey() + "=" + (e.getValue().isString() ? e.getValue().asString() : e.getValue().toString()));
            }
            return parts.isEmpty() ? "-" : printable(String.join(",", parts));
        }
        return printable(n.toString());
    }

    /**
     * Text from the server as a terminal shows it, not as it acts on it. Descriptions, apply errors,
     * sample labels and problem details are written by other people and by agents on database
     * hosts; an escape sequence among them would move the cursor, rename the window or clear the
     * screen of the operator reading them, a bidirectional override would show a name reversed, and
     * a Unicode line or paragraph separator ({@code U+2028}, {@code U+2029}) breaks the line on many
     * terminals. Line breaks and tabs become spaces (a table row stays one line); every other control
     * character (C0, DEL, C1), the bidirectional formatting characters and the line and paragraph
     * separators are shown as <code>&#92;uXXXX</code>, the rule the server's ShownText applies.
     *
     * @param s the text
     * @return the text, safe to print
     */
    static String printable(String s) {
        int i = 0;
        while (i < s.length() && !unsafe(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\t') {
                b.append(' ');
            } else if (unsafe(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean unsafe(char c) {
        return Character.isISOControl(c) || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || (c >= '\u2028' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
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
