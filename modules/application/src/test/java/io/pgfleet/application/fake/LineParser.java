package io.pgfleet.application.fake;

import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.SourcePosition;
import io.pgfleet.domain.schema.ValidationError;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the small part of TOML that unit tests write ({@code [table]} headers and
 * {@code key = 1 | "text" | true} lines), so the use cases can be tested against the real schema
 * without the TOML adapter. Anything else is a syntax error.
 */
public final class LineParser implements ParseConfigDocumentPort {

    @Override
    public ParseOutcome parse(ConfigDocument document) {
        // Tables are collected as plain maps first: the domain's Table copies its entries.
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> current = root;
        String[] lines = document.text().split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                current = root;
                for (String part : line.substring(1, line.length() - 1).split("\\.")) {
                    Object next = current.computeIfAbsent(part.strip(), k -> new LinkedHashMap<String, Object>());
                    if (!(next instanceof Map<?, ?>)) {
                        return syntaxError(i + 1, line);
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> table = (Map<String, Object>) next;
                    current = table;
                }
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 1) {
                return syntaxError(i + 1, line);
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            SourcePosition at = new SourcePosition(i + 1, lines[i].indexOf('=') + 3);
            DocumentValue parsed;
            if (value.startsWith("\"") && value.endsWith("\"") && value.length() >= 2) {
                parsed = new DocumentValue.Text(value.substring(1, value.length() - 1), at);
            } else if (value.equals("true") || value.equals("false")) {
                parsed = new DocumentValue.Bool(Boolean.parseBoolean(value), at);
            } else if (value.matches("-?\\d+")) {
                parsed = new DocumentValue.Whole(Long.parseLong(value), at);
            } else {
                return syntaxError(i + 1, line);
            }
            if (current.putIfAbsent(key, parsed) != null) {
                return syntaxError(i + 1, line);
            }
        }
        return new ParseOutcome.Parsed(table(root));
    }

    private static DocumentValue.Table table(Map<String, Object> map) {
        Map<String, DocumentValue> entries = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> nested = (Map<String, Object>) m;
                entries.put(k, table(nested));
            } else {
                entries.put(k, (DocumentValue) v);
            }
        });
        return new DocumentValue.Table(entries, SourcePosition.start());
    }

    private static ParseOutcome syntaxError(int line, String text) {
        return new ParseOutcome.SyntaxErrors(List.of(new ValidationError(line, 1, "", "invalid TOML: " + text)));
    }
}
