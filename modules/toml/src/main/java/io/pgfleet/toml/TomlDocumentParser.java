package io.pgfleet.toml;

import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ConfigSchema;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.SourcePosition;
import io.pgfleet.domain.schema.Validation;
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
import java.util.Optional;

/**
 * TOML 1.0 through tomlj. Every syntax error is reported (tomlj recovers and keeps going),
 * including duplicate keys and tables. Documents nested deeper than
 * {@link ConfigSchema#MAX_NESTING_DEPTH} are refused before tomlj sees them.
 */
public final class TomlDocumentParser implements ParseConfigDocumentPort {

    /** What Windows editors put before "UTF-8" text; TOML does not allow it. */
    public static final String BYTE_ORDER_MARK = "\uFEFF";

    /** Why a document starting with {@link #BYTE_ORDER_MARK} is refused, and what to do. */
    public static final String BYTE_ORDER_MARK_MESSAGE = "invalid TOML: the document starts with a byte order mark "
            + "(U+FEFF, as some Windows editors save UTF-8), which TOML does not allow; save it as UTF-8 without a "
            + "byte order mark";

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
        if (text.startsWith(BYTE_ORDER_MARK)) {
            return new ParseOutcome.SyntaxErrors(List.of(new ValidationError(1, 1, "", BYTE_ORDER_MARK_MESSAGE)));
        }
        // tomlj parses recursively: refuse documents nested deeper than the schema allows before
        // handing them over, so that no input can exhaust the stack.
        Optional<ValidationError> tooDeep = tooDeep(text, ConfigSchema.MAX_NESTING_DEPTH);
        if (tooDeep.isPresent()) {
            return new ParseOutcome.SyntaxErrors(List.of(tooDeep.get()));
        }
        try {
            TomlParseResult result = Toml.parse(text, TomlVersion.V1_0_0);
            if (result.hasErrors()) {
                // tomlj reports in document order; only the errors that will be reported become
                // messages, the others are counted (a document of thousands of bad lines is no
                // reason to build thousands of messages).
                List<ValidationError> errors = new ArrayList<>();
                for (TomlParseError e : result.errors()) {
                    if (errors.size() == Validation.MAX_REPORTED_ERRORS) {
                        break;
                    }
                    TomlPosition p = e.position();
                    errors.add(new ValidationError(Math.max(1, p.line()), Math.max(1, p.column()), "",
                            "invalid TOML: " + e.getMessage()));
                }
                return new ParseOutcome.SyntaxErrors(errors, result.errors().size());
            }
            return new ParseOutcome.Parsed(table(result, SourcePosition.start(), 0));
        } catch (org.tomlj.TomlParseError e) {
            // tomlj throws some syntax errors instead of collecting them (an invalid escape in a
            // quoted table header, for one): still the author's error, reported like the others.
            TomlPosition p = e.position();
            int line = p == null ? 1 : Math.max(1, p.line());
            int column = p == null ? 1 : Math.max(1, p.column());
            return new ParseOutcome.SyntaxErrors(List.of(new ValidationError(line, column, "",
                    "invalid TOML: " + e.getMessage())));
        } catch (AssertionError e) {
            // With assertions enabled (tests, or an operator's -ea), tomlj checks an incomplete
            // unicode escape with an assert instead of collecting it as it does otherwise: the
            // same author's error, reported the same way. Only tomlj's own asserts are taken so.
            if (e.getStackTrace().length == 0 || !e.getStackTrace()[0].getClassName().startsWith("org.tomlj.")) {
                throw e;
            }
            return new ParseOutcome.SyntaxErrors(List.of(new ValidationError(1, 1, "",
                    "invalid TOML: an invalid escape sequence in a string")));
        } catch (StackOverflowError | TooDeep e) {
            // A second line of defence: the pre-scan should have refused the document already.
            return new ParseOutcome.SyntaxErrors(List.of(new ValidationError(1, 1, "", nestingMessage())));
        }
    }

    private static String nestingMessage() {
        return "the document nests deeper than " + ConfigSchema.MAX_NESTING_DEPTH
                + " levels of tables, arrays and dotted keys; a configuration needs at most 3";
    }

    /** Thrown while converting a tree deeper than the limit. */
    private static final class TooDeep extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooDeep() {
            super(null, null, false, false);
        }
    }

    /**
     * Measures nesting without parsing: open arrays and inline tables, plus the segments of the
     * current table header and dotted key, outside strings and comments. Linear in the text and
     * iterative, so it is safe on any input; it may over-count odd but valid documents, never
     * under-count what tomlj would recurse on.
     *
     * @return the first place deeper than {@code max}, or empty
     */
    static Optional<ValidationError> tooDeep(String text, int max) {
        int line = 1;
        int column = 0;
        // Containers opened in values and inline tables: '[' or '{'.
        StringBuilder open = new StringBuilder();
        int headerSegments = 0;
        int keySegments = 1;
        boolean inHeader = false;
        boolean inValue = false;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            column++;
            if (c == '\n') {
                line++;
                column = 0;
                if (open.isEmpty()) {
                    inValue = false;
                    inHeader = false;
                    keySegments = 1;
                }
                continue;
            }
            if (c == '#') {
                while (i + 1 < n && text.charAt(i + 1) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                boolean multi = i + 2 < n && text.charAt(i + 1) == c && text.charAt(i + 2) == c;
                int j = multi ? i + 3 : i + 1;
                while (j < n) {
                    char d = text.charAt(j);
                    if (c == '"' && d == '\\') {
                        j += 2;
                        continue;
                    }
                    if (d == '\n') {
                        if (!multi) {
                            break;
                        }
                        line++;
                        column = 0;
                    }
                    if (d == c && (!multi || (j + 2 < n && text.charAt(j + 1) == c && text.charAt(j + 2) == c))) {
                        j += multi ? 2 : 0;
                        break;
                    }
                    j++;
                }
                column += Math.max(0, j - i);
                i = Math.min(j, n - 1);
                if (i < n && text.charAt(i) == '\n') {
                    i--;
                }
                continue;
            }
            boolean inInlineTable = !open.isEmpty() && open.charAt(open.length() - 1) == '{';
            switch (c) {
                case '[' -> {
                    if (!inValue && open.isEmpty()) {
                        // A table header [a.b] or [[a.b]].
                        inHeader = true;
                        headerSegments = 1;
                        if (i + 1 < n && text.charAt(i + 1) == '[') {
                            i++;
                            column++;
                        }
                    } else {
                        open.append('[');
                    }
                }
                case '{' -> {
                    open.append('{');
                    inValue = false;
                    keySegments = 1;
                }
                case ']', '}' -> {
                    if (inHeader && open.isEmpty()) {
                        inHeader = false;
                    } else if (!open.isEmpty()) {
                        open.setLength(open.length() - 1);
                        if (c == '}' && !open.isEmpty() && open.charAt(open.length() - 1) == '[') {
                            inValue = true;
                        }
                    }
                }
                case '=' -> {
                    if (!inHeader) {
                        inValue = true;
                    }
                }
                case ',' -> {
                    if (inInlineTable) {
                        inValue = false;
                        keySegments = 1;
                    }
                }
                case '.' -> {
                    if (inHeader) {
                        headerSegments++;
                    } else if (!inValue) {
                        keySegments++;
                    }
                }
                default -> {
                }
            }
            int depth = headerSegments + (keySegments - 1) + open.length();
            if (depth > max) {
                return Optional.of(new ValidationError(line, Math.max(1, column), "", "invalid TOML: " + nestingMessage()));
            }
        }
        return Optional.empty();
    }

    private static DocumentValue.Table table(TomlTable table, SourcePosition at, int depth) {
        if (depth > ConfigSchema.MAX_NESTING_DEPTH) {
            throw new TooDeep();
        }
        Map<String, DocumentValue> entries = new LinkedHashMap<>();
        for (String key : table.keySet()) {
            List<String> path = List.of(key);
            SourcePosition pos = position(table.inputPositionOf(path), at);
            entries.put(key, value(table.get(path), pos, depth + 1));
        }
        return new DocumentValue.Table(entries, at);
    }

    private static DocumentValue value(Object v, SourcePosition pos, int depth) {
        return switch (v) {
            case TomlTable t -> table(t, pos, depth);
            case TomlArray a -> array(a, pos, depth);
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

    private static DocumentValue.Array array(TomlArray array, SourcePosition at, int depth) {
        if (depth > ConfigSchema.MAX_NESTING_DEPTH) {
            throw new TooDeep();
        }
        List<DocumentValue> items = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            items.add(value(array.get(i), position(array.inputPositionOf(i), at), depth + 1));
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
