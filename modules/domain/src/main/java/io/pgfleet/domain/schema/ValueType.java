package io.pgfleet.domain.schema;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The type of a configuration key: what values it accepts and how it is described in the
 * reference page.
 */
public sealed interface ValueType {

    /**
     * The type and its constraints in words, for the reference page.
     *
     * @return e.g. "integer, 10..86400 s"
     */
    String describe();

    /**
     * Checks a value.
     *
     * @param value the parsed value
     * @return what is wrong, or empty when the value is acceptable
     */
    Optional<String> problem(DocumentValue value);

    /**
     * The plain Java value of an acceptable document value.
     *
     * @param value a value for which {@link #problem} is empty
     * @return Long, Boolean, String or List of String
     */
    Object convert(DocumentValue value);

    /**
     * An integer within bounds.
     *
     * @param min  smallest accepted
     * @param max  largest accepted
     * @param unit unit in words, empty when none
     */
    record IntegerRange(long min, long max, String unit) implements ValueType {
        @Override
        public String describe() {
            return "integer, " + min + "–" + max + (unit.isEmpty() ? "" : " " + unit);
        }

        @Override
        public Optional<String> problem(DocumentValue value) {
            String expected = "an integer from " + min + " to " + max + (unit.isEmpty() ? "" : " (" + unit + ")");
            if (!(value instanceof DocumentValue.Whole w)) {
                return Optional.of("must be " + expected + ", got " + value.typeName() + describeValue(value));
            }
            if (w.value() < min || w.value() > max) {
                return Optional.of("must be " + expected + ", got " + w.value());
            }
            return Optional.empty();
        }

        @Override
        public Object convert(DocumentValue value) {
            return ((DocumentValue.Whole) value).value();
        }
    }

    /** true or false. */
    record Flag() implements ValueType {
        @Override
        public String describe() {
            return "boolean";
        }

        @Override
        public Optional<String> problem(DocumentValue value) {
            return value instanceof DocumentValue.Bool ? Optional.empty()
                    : Optional.of("must be true or false, got " + value.typeName() + describeValue(value));
        }

        @Override
        public Object convert(DocumentValue value) {
            return ((DocumentValue.Bool) value).value();
        }
    }

    /**
     * A string matching a pattern.
     *
     * @param pattern     what it must match; the empty string is accepted when {@code mayBeEmpty}
     * @param mayBeEmpty  whether "" is accepted (meaning "not set")
     * @param description the constraint in words
     */
    record Word(Pattern pattern, boolean mayBeEmpty, String description) implements ValueType {
        @Override
        public String describe() {
            return "string, " + description;
        }

        @Override
        public Optional<String> problem(DocumentValue value) {
            if (!(value instanceof DocumentValue.Text t)) {
                return Optional.of("must be a string (" + description + "), got " + value.typeName() + describeValue(value));
            }
            if (t.value().isEmpty()) {
                return mayBeEmpty ? Optional.empty() : Optional.of("must not be empty (" + description + ")");
            }
            return pattern.matcher(t.value()).matches() ? Optional.empty()
                    : Optional.of("must be " + description + ", got \"" + t.value() + "\"");
        }

        @Override
        public Object convert(DocumentValue value) {
            return ((DocumentValue.Text) value).value();
        }
    }

    /**
     * One of a fixed set of strings.
     *
     * @param choices the accepted values, in the order they are documented
     */
    record Choice(List<String> choices) implements ValueType {
        /** Copies the choices. */
        public Choice {
            choices = List.copyOf(choices);
        }

        @Override
        public String describe() {
            return "one of " + String.join(", ", choices.stream().map(c -> "`" + c + "`").toList());
        }

        @Override
        public Optional<String> problem(DocumentValue value) {
            if (value instanceof DocumentValue.Text t && choices.contains(t.value())) {
                return Optional.empty();
            }
            return Optional.of("must be one of " + String.join(", ", choices) + ", got "
                    + (value instanceof DocumentValue.Text t ? "\"" + t.value() + "\"" : value.typeName()));
        }

        @Override
        public Object convert(DocumentValue value) {
            return ((DocumentValue.Text) value).value();
        }
    }

    /**
     * A non-empty array of distinct strings, each matching a pattern.
     *
     * @param item        what each element must match
     * @param description each element's constraint in words
     * @param maxLength   the longest element, in UTF-16 units ({@link String#length()})
     */
    record WordList(Pattern item, String description, int maxLength) implements ValueType {

        /**
         * Entries matching a pattern, of any length the pattern allows.
         *
         * @param item        what each entry matches
         * @param description what each entry is, for messages
         */
        public WordList(Pattern item, String description) {
            this(item, description, Integer.MAX_VALUE);
        }

        @Override
        public String describe() {
            return "non-empty array of distinct strings, each " + description;
        }

        @Override
        public Optional<String> problem(DocumentValue value) {
            if (!(value instanceof DocumentValue.Array a)) {
                return Optional.of("must be an array of strings (" + description + "), got " + value.typeName()
                        + describeValue(value));
            }
            if (a.items().isEmpty()) {
                return Optional.of("must list at least one entry");
            }
            Set<String> seen = new HashSet<>();
            for (DocumentValue v : a.items()) {
                if (!(v instanceof DocumentValue.Text t)) {
                    return Optional.of("every entry must be a string (" + description + "), found " + v.typeName());
                }
                // The length in UTF-16 units, as String#length counts it: a pattern's quantifier counts
                // a character outside the Basic Multilingual Plane once, where the length counts two.
                if (!item.matcher(t.value()).matches() || t.value().length() > maxLength) {
                    return Optional.of("every entry must be " + description + ", got \"" + t.value() + "\"");
                }
                if (!seen.add(t.value())) {
                    return Optional.of("lists \"" + t.value() + "\" twice");
                }
            }
            return Optional.empty();
        }

        @Override
        public Object convert(DocumentValue value) {
            List<String> out = new ArrayList<>();
            for (DocumentValue v : ((DocumentValue.Array) value).items()) {
                out.add(((DocumentValue.Text) v).value());
            }
            return List.copyOf(out);
        }
    }

    private static String describeValue(DocumentValue value) {
        return switch (value) {
            case DocumentValue.Text t -> " \"" + t.value() + "\"";
            case DocumentValue.Whole w -> " " + w.value();
            case DocumentValue.Bool b -> " " + b.value();
            default -> "";
        };
    }
}
