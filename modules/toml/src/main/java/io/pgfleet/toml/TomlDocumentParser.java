package io.pgfleet.toml;

import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.SourcePosition;
import io.pgfleet.domain.schema.ValidationError;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;
import org.tomlj.TomlVersion;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TOML 1.0 through tomlj. Every syntax error is reported (tomlj recovers and keeps going),
 * including duplicate keys and tables.
 */
public final class TomlDocumentParser implements ParseConfigDocumentPort {

    @Override
    public ParseOutcome parse(ConfigDocument document) {
        return parse(document.text());
    }

    /**
     * Parses TOML text.
     *
     * @param text the document
     * @return the tree or the syntax errors
     */
    public ParseOutcome parse(String text) {
        TomlParseResult result = Toml.parse(text, TomlVersion.V1_0_0);
        if (result.hasErrors()) {
            List<ValidationError> errors = new ArrayList<>();
            for (TomlParseError e : result.errors()) {
                TomlPosition p = e.position();
                errors.add(new ValidationError(Math.max(1, p.line()), Math.max(1, p.column()), "",
                        "invalid TOML: " + e.getMessage()));
            }
            return new ParseOutcome.SyntaxErrors(errors);
        }
        return new ParseOutcome.Parsed(table(result, SourcePosition.start()));
    }

    private static DocumentValue.Table table(TomlTable table, SourcePosition at) {
        Map<String, DocumentValue> entries = new LinkedHashMap<>();
        for (String key : table.keySet()) {
            List<String> path = List.of(key);
            SourcePosition pos = position(table.inputPositionOf(path), at);
            entries.put(key, value(table.get(path), pos));
        }
        return new DocumentValue.Table(entries, at);
    }

    private static DocumentValue value(Object v, SourcePosition pos) {
        return switch (v) {
            case TomlTable t -> table(t, pos);
            case TomlArray a -> array(a, pos);
            case String s -> new DocumentValue.Text(s, pos);
            case Long l -> new DocumentValue.Whole(l, pos);
            case Boolean b -> new DocumentValue.Bool(b, pos);
            case Double d -> new DocumentValue.Other("a float (" + d + ")", pos);
            case OffsetDateTime odt -> new DocumentValue.Other("a date-time", pos);
            case LocalDateTime ldt -> new DocumentValue.Other("a date-time", pos);
            case LocalDate ld -> new DocumentValue.Other("a date", pos);
            case LocalTime lt -> new DocumentValue.Other("a time", pos);
            default -> new DocumentValue.Other(v.getClass().getSimpleName(), pos);
        };
    }

    private static DocumentValue.Array array(TomlArray array, SourcePosition at) {
        List<DocumentValue> items = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            items.add(value(array.get(i), position(array.inputPositionOf(i), at)));
        }
        return new DocumentValue.Array(items, at);
    }

    private static SourcePosition position(TomlPosition p, SourcePosition fallback) {
        if (p == null || p.line() < 1 || p.column() < 1) {
            return fallback;
        }
        return new SourcePosition(p.line(), p.column());
    }
}
