package io.pgfleet.toml;

import io.pgfleet.domain.schema.ConfigSchema;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.SourcePosition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the plain subset of TOML that configuration documents are written in — comments, blank
 * lines, {@code [table.headers]} of bare keys, and {@code key = value} lines whose value is a
 * decimal integer, {@code true}/{@code false}, a basic string without escapes, or a one-line array
 * of those — into the same tree, with the same positions and key order, as tomlj gives.
 *
 * <p>Why: tomlj's ANTLR lexer cannot cache its decisions for integers (their rule ends in a
 * semantic predicate), so each integer costs a full simulation of the lexer's state machine,
 * about 5 µs; a typical document's parse took a third of the server's CPU per publish. This
 * reader answers only when the whole document is in the subset and well formed; anything else —
 * another kind of value, a quoted or dotted key, an escape, a key or table defined twice, a
 * character TOML forbids, a nesting deeper than the schema's limit — makes it give up, and tomlj
 * parses the document (and reports the errors) as before. So it never accepts what tomlj refuses,
 * and {@code PlainTomlTest} checks that its trees equal tomlj's on the corpus and on fuzzed input.
 */
final class PlainToml {

    /** A table being built: its entries in document order, where it was defined, whether only implied. */
    private static final class Table {
        final Map<String, Object> entries = new LinkedHashMap<>();
        SourcePosition position;
        boolean implicit;

        Table(SourcePosition position, boolean implicit) {
            this.position = position;
            this.implicit = implicit;
        }
    }

    /** Thrown (without a stack trace) when the document leaves the subset: tomlj takes over. */
    private static final class NotPlain extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final NotPlain INSTANCE = new NotPlain();

        private NotPlain() {
            super(null, null, false, false);
        }
    }

    private static final int MAX_DIGITS = 18;

    private final String s;
    private final int n;
    private int i;
    private int line = 1;
    private int lineStart;

    private PlainToml(String text) {
        this.s = text;
        this.n = text.length();
    }

    /**
     * Reads a document of the plain subset.
     *
     * @param text the document
     * @return its tree as tomlj would give it, or empty when the document is not (only) plain TOML
     */
    static Optional<DocumentValue.Table> read(String text) {
        try {
            return Optional.of(new PlainToml(text).document());
        } catch (NotPlain e) {
            return Optional.empty();
        }
    }

    private DocumentValue.Table document() {
        Table root = new Table(SourcePosition.start(), false);
        Table current = root;
        while (i < n) {
            skipSpaces();
            if (i == n) {
                break;
            }
            char c = s.charAt(i);
            if (c == '\n' || c == '\r') {
                newline();
            } else if (c == '#') {
                comment();
            } else if (c == '[') {
                current = header(root);
                endOfLine();
            } else if (isKeyChar(c)) {
                keyValue(current);
                endOfLine();
            } else {
                throw NotPlain.INSTANCE;
            }
        }
        return table(root, root.position, 0);
    }

    private SourcePosition here() {
        return new SourcePosition(line, i - lineStart + 1);
    }

    private void skipSpaces() {
        while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
    }

    private void newline() {
        if (s.charAt(i) == '\r') {
            if (i + 1 >= n || s.charAt(i + 1) != '\n') {
                throw NotPlain.INSTANCE;
            }
            i++;
        }
        i++;
        line++;
        lineStart = i;
    }

    /** A comment up to (not including) the end of its line: TOML forbids control characters but tab in it. */
    private void comment() {
        i++;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\n' || (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n')) {
                return;
            }
            if (forbidden(c)) {
                throw NotPlain.INSTANCE;
            }
            i++;
        }
    }

    /** After a header or a key's value: spaces, maybe a comment, then the end of the line or of the text. */
    private void endOfLine() {
        skipSpaces();
        if (i < n && s.charAt(i) == '#') {
            comment();
        }
        if (i < n) {
            char c = s.charAt(i);
            if (c != '\n' && c != '\r') {
                throw NotPlain.INSTANCE;
            }
            newline();
        }
    }

    /** {@code [a.b.c]}: bare keys, no spaces, not an array of tables. */
    private Table header(Table root) {
        SourcePosition at = here();
        i++;
        if (i < n && s.charAt(i) == '[') {
            throw NotPlain.INSTANCE;
        }
        List<String> path = new ArrayList<>(3);
        path.add(key());
        while (i < n && s.charAt(i) == '.') {
            i++;
            path.add(key());
        }
        if (i >= n || s.charAt(i) != ']') {
            throw NotPlain.INSTANCE;
        }
        i++;
        // As tomlj: the tables on the way are implied (created if absent); the last one is defined
        // here, once, unless it was only implied before.
        Table table = root;
        for (int k = 0; k < path.size() - 1; k++) {
            Object e = table.entries.computeIfAbsent(path.get(k), key -> new Table(at, true));
            if (!(e instanceof Table t)) {
                throw NotPlain.INSTANCE;
            }
            table = t;
        }
        String last = path.get(path.size() - 1);
        Object e = table.entries.get(last);
        if (e == null) {
            Table created = new Table(at, false);
            table.entries.put(last, created);
            return created;
        }
        if (e instanceof Table t && t.implicit) {
            t.implicit = false;
            t.position = at;
            return t;
        }
        throw NotPlain.INSTANCE;
    }

    private String key() {
        int start = i;
        while (i < n && isKeyChar(s.charAt(i))) {
            i++;
        }
        if (i == start) {
            throw NotPlain.INSTANCE;
        }
        return s.substring(start, i);
    }

    private static boolean isKeyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    /** {@code key = value}: a bare key, defined once in its table. */
    private void keyValue(Table table) {
        SourcePosition at = here();
        String key = key();
        skipSpaces();
        if (i >= n || s.charAt(i) != '=') {
            throw NotPlain.INSTANCE;
        }
        i++;
        skipSpaces();
        Object value = value(at, true);
        if (table.entries.putIfAbsent(key, value) != null) {
            throw NotPlain.INSTANCE;
        }
    }

    /**
     * A value, positioned where its key is when it is a table's entry ({@code entry}), else where it
     * starts (an array's item).
     */
    private Object value(SourcePosition keyAt, boolean entry) {
        SourcePosition at = entry ? keyAt : here();
        if (i >= n) {
            throw NotPlain.INSTANCE;
        }
        char c = s.charAt(i);
        if (c == '"') {
            return new DocumentValue.Text(string(), at);
        }
        if (c == 't' && s.startsWith("true", i)) {
            i += 4;
            delimited();
            return new DocumentValue.Bool(true, at);
        }
        if (c == 'f' && s.startsWith("false", i)) {
            i += 5;
            delimited();
            return new DocumentValue.Bool(false, at);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return new DocumentValue.Whole(integer(), at);
        }
        if (c == '[' && entry) {
            return array(at);
        }
        throw NotPlain.INSTANCE;
    }

    /** What may follow a value: a space, a comment, the end of the line or text, or an array's ',' or ']'. */
    private void delimited() {
        if (i < n) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '#' && c != ',' && c != ']') {
                throw NotPlain.INSTANCE;
            }
        }
    }

    /** A basic string on one line, without escapes. */
    private String string() {
        i++;
        if (i + 1 < n && s.charAt(i) == '"' && s.charAt(i + 1) == '"') {
            throw NotPlain.INSTANCE;
        }
        int start = i;
        while (true) {
            if (i >= n) {
                throw NotPlain.INSTANCE;
            }
            char c = s.charAt(i);
            if (c == '"') {
                break;
            }
            if (c == '\\' || forbidden(c)) {
                throw NotPlain.INSTANCE;
            }
            i++;
        }
        String value = s.substring(start, i);
        i++;
        delimited();
        return value;
    }

    /** A decimal integer: an optional '-', then 0 or digits not starting with 0, no '_', at most 18 digits. */
    private long integer() {
        boolean negative = s.charAt(i) == '-';
        if (negative) {
            i++;
        }
        int start = i;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        int digits = i - start;
        if (digits == 0 || digits > MAX_DIGITS || (s.charAt(start) == '0' && (digits > 1 || negative))) {
            throw NotPlain.INSTANCE;
        }
        delimited();
        long value = Long.parseLong(s, start, i, 10);
        return negative ? -value : value;
    }

    /** An array of plain values on one line, without a trailing comma. */
    private DocumentValue.Array array(SourcePosition at) {
        i++;
        List<DocumentValue> items = new ArrayList<>();
        skipSpaces();
        if (i < n && s.charAt(i) == ']') {
            i++;
            delimited();
            return new DocumentValue.Array(items, at);
        }
        while (true) {
            skipSpaces();
            items.add((DocumentValue) value(at, false));
            skipSpaces();
            if (i >= n) {
                throw NotPlain.INSTANCE;
            }
            char c = s.charAt(i++);
            if (c == ']') {
                delimited();
                return new DocumentValue.Array(items, at);
            }
            if (c != ',') {
                throw NotPlain.INSTANCE;
            }
        }
    }

    /** Control characters (tab aside) and surrogates (tomlj counts columns in code points) leave the subset. */
    private static boolean forbidden(char c) {
        return (c < 0x20 && c != '\t') || c == 0x7F || Character.isSurrogate(c);
    }

    /** The tree, with tomlj's nesting limit (deeper: tomlj's path answers). */
    private static DocumentValue.Table table(Table t, SourcePosition at, int depth) {
        if (depth > ConfigSchema.MAX_NESTING_DEPTH) {
            throw NotPlain.INSTANCE;
        }
        Map<String, DocumentValue> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : t.entries.entrySet()) {
            DocumentValue v;
            if (e.getValue() instanceof Table sub) {
                v = table(sub, sub.position, depth + 1);
            } else if (e.getValue() instanceof DocumentValue.Array && depth + 1 > ConfigSchema.MAX_NESTING_DEPTH) {
                throw NotPlain.INSTANCE;
            } else {
                v = (DocumentValue) e.getValue();
            }
            entries.put(e.getKey(), v);
        }
        return new DocumentValue.Table(entries, at);
    }
}
