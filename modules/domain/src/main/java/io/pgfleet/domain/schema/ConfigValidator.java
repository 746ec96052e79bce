package io.pgfleet.domain.schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a parsed document against {@link ConfigSchema}: every error is counted and the first
 * {@link Validation#MAX_REPORTED_ERRORS} by position are reported, not only the first.
 */
public final class ConfigValidator {

    private static final List<String> TOP_SECTIONS = List.of("collector", "postgres", "collectors");

    private ConfigValidator() {
    }

    /**
     * Validates a document's syntax outcome.
     *
     * @param outcome the parser's outcome
     * @return valid with the effective configuration, or invalid with every error
     */
    public static Validation validate(ParseOutcome outcome) {
        return switch (outcome) {
            case ParseOutcome.SyntaxErrors s -> new Validation.Invalid(s.errors(), s.total());
            case ParseOutcome.Parsed p -> validate(p.root());
        };
    }

    /**
     * Validates a document an agent received, or one about to become a new version: as
     * {@link #validate(ParseOutcome)}, and every list within its bounds
     * ({@link ConfigSchema#MAX_LIST_ENTRIES} entries, {@link ConfigSchema#MAX_LIST_CHARS} characters
     * in all), which are what an agent can parse and collect within its heap, and every string within
     * its length ({@link ValueType#boundProblem}: a role name, a path, a variable name). Stored versions are not
     * held to the bounds on the server (a version an earlier release accepted still composes, is
     * served and can be replaced); the agent refuses such a version as it refuses any invalid one.
     *
     * @param outcome the parser's outcome
     * @return valid with the effective configuration, or invalid with every error
     */
    public static Validation validateBounded(ParseOutcome outcome) {
        return switch (outcome) {
            case ParseOutcome.SyntaxErrors s -> new Validation.Invalid(s.errors(), s.total());
            case ParseOutcome.Parsed p -> validate(p.root(), true);
        };
    }

    /** At most this many hidden characters are reported one by one; the rest are counted in the last error. */
    static final int MAX_HIDDEN_REPORTED = 20;

    /**
     * Validates a document about to become a new version: {@link #validate(ParseOutcome)}, and its
     * text holds no character that would make it read differently from what it does — a C1 control
     * or a bidirectional formatting character (Unicode's Bidi_Control: an override such as
     * {@code U+202E} shows a value or a comment reversed, the "Trojan Source" trick) or a Unicode
     * line or paragraph separator ({@code U+2028}, {@code U+2029}: many editors and terminals break
     * the line there, where TOML sees none, so one line shows as two), and its lists within their
     * bounds ({@link #validateBounded}). The TOML parser
     * already refuses the C0 controls and DEL; line feeds, tabs and the carriage return of a CRLF
     * line end are text. Stored versions are not held to this (they are only ever parsed), so a
     * version published before this rule still composes and can be replaced.
     *
     * @param text    the document's text
     * @param outcome the parser's outcome for it
     * @return valid with the effective configuration, or invalid with every error, by position
     */
    public static Validation validateNew(String text, ParseOutcome outcome) {
        List<ValidationError> hidden = hiddenCharacters(text);
        Validation validation = validateBounded(outcome);
        if (hidden.isEmpty()) {
            return validation;
        }
        List<ValidationError> errors = new ArrayList<>(hidden);
        int total = hidden.size();
        if (validation instanceof Validation.Invalid invalid) {
            errors.addAll(invalid.errors());
            total += invalid.total();
        }
        return new Validation.Invalid(errors, total);
    }

    private static List<ValidationError> hiddenCharacters(String text) {
        List<ValidationError> errors = new ArrayList<>();
        int line = 1;
        int lineStart = 0;
        int found = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                lineStart = i + 1;
            } else if (c != '\r' && io.pgfleet.domain.common.ShownText.actedOn(c) && found++ < MAX_HIDDEN_REPORTED) {
                errors.add(new ValidationError(line, i - lineStart + 1, "", "character "
                        + io.pgfleet.domain.common.ShownText.named(c) + " is not accepted: C1 controls, bidirectional"
                        + " formatting characters and line or paragraph separators make a document read differently"
                        + " from what it does; write the text without them"));
            }
        }
        if (found > MAX_HIDDEN_REPORTED) {
            ValidationError last = errors.removeLast();
            errors.add(new ValidationError(last.line(), last.column(), last.key(), last.message() + " (and "
                    + (found - MAX_HIDDEN_REPORTED) + " more such characters)"));
        }
        return errors;
    }

    /**
     * Validates a parsed document.
     *
     * @param root the document's top-level table
     * @return valid with the effective configuration, or invalid with every error
     */
    public static Validation validate(DocumentValue.Table root) {
        return validate(root, false);
    }

    private static Validation validate(DocumentValue.Table root, boolean bounded) {
        ReportedErrors errors = new ReportedErrors();
        Map<String, Object> values = new HashMap<>();
        root.entries().forEach((name, value) -> {
            Optional<String> forbidden = ConfigSchema.forbidden(name);
            if (forbidden.isPresent()) {
                errors.add(value.position(), name, forbidden.get());
            } else if (!TOP_SECTIONS.contains(name)) {
                errors.add(value.position(), name, value instanceof DocumentValue.Table
                        ? "unknown section [" + name + "]; expected [collector], [postgres] or [collectors.<name>]"
                        : "unknown top-level key; keys belong in a section: [collector], [postgres] or [collectors.<name>]");
            } else if (!(value instanceof DocumentValue.Table table)) {
                errors.add(value.position(), name, () -> "must be a table [" + name + "], got " + value.typeName());
            } else if (name.equals("collectors")) {
                collectors(table, errors, values, bounded);
            } else {
                section(name, table, errors, values, bounded);
            }
        });
        crossChecks(root, errors);
        return errors.isEmpty() ? new Validation.Valid(EffectiveConfig.fromValues(values)) : errors.invalid();
    }

    private static void collectors(DocumentValue.Table table, ReportedErrors errors, Map<String, Object> values,
                                   boolean bounded) {
        table.entries().forEach((name, value) -> {
            String path = "collectors." + name;
            Optional<String> forbidden = ConfigSchema.forbidden(path);
            if (forbidden.isPresent()) {
                errors.add(value.position(), path, forbidden.get());
            } else if (!ConfigSchema.collectorNames().contains(name)) {
                errors.add(value.position(), path, () -> "unknown collector '" + name + "'; expected one of "
                        + String.join(", ", ConfigSchema.collectorNames()));
            } else if (!(value instanceof DocumentValue.Table t)) {
                errors.add(value.position(), path, () -> "must be a table [" + path + "], got " + value.typeName());
            } else {
                section(path, t, errors, values, bounded);
            }
        });
    }

    private static void section(String path, DocumentValue.Table table, ReportedErrors errors,
                                Map<String, Object> values, boolean bounded) {
        ConfigSchema.Section section = ConfigSchema.section(path).orElseThrow();
        table.entries().forEach((name, value) -> {
            String key = path + "." + name;
            Optional<String> forbidden = ConfigSchema.forbidden(key);
            if (forbidden.isPresent()) {
                errors.add(value.position(), key, forbidden.get());
                return;
            }
            Optional<ConfigSchema.Key> spec = section.key(name);
            if (spec.isEmpty()) {
                errors.add(value.position(), key, () -> "unknown key in [" + path + "]; expected "
                        + String.join(", ", section.keys().stream().map(ConfigSchema.Key::name).toList())
                        + Suggestions.closest(name, section.keys().stream().map(ConfigSchema.Key::name).toList())
                                .map(s -> " (did you mean '" + s + "'?)").orElse(""));
                return;
            }
            ValueType type = spec.get().type();
            Optional<String> problem = bounded ? type.boundProblem(value).or(() -> type.problem(value)) : type.problem(value);
            if (problem.isPresent()) {
                errors.add(value.position(), key, problem.get());
            } else {
                values.put(key, spec.get().type().convert(value));
            }
        });
    }

    private static void crossChecks(DocumentValue.Table root, ReportedErrors errors) {
        if (root.entries().get("postgres") instanceof DocumentValue.Table pg
                && pg.entries().get("password_file") instanceof DocumentValue.Text file && !file.value().isEmpty()
                && pg.entries().get("password_env") instanceof DocumentValue.Text env && !env.value().isEmpty()) {
            errors.add(env.position(), "postgres.password_env", "set either password_file or password_env, not both");
        }
    }
}
