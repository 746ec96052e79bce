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
     * What is wrong with the value's size, checked for a new document and by the agent, before
     * {@link #problem}: a stored document is not held to it (a version an earlier release accepted
     * still composes, is served and can be replaced).
     *
     * @param value the parsed value
     * @return the bound exceeded, or empty when the value is within it (or the type has none)
     */
    default Optional<String> boundProblem(DocumentValue value) {
        return Optional.empty();
    }

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
     * A string matching a pattern, of a bounded size.
     *
     * @param pattern     what it must match; the empty string is accepted when {@code mayBeEmpty}
     * @param mayBeEmpty  whether "" is accepted (meaning "not set")
     * @param description the constraint in words
     * @param maxBytes    the longest a new document may set, in bytes of UTF-8 ({@link #boundProblem}), as
     *                    PostgreSQL and the operating system count a name or a path; a stored document is
     *                    not held to it
     * @param why         what the bound is, for the message (e.g. "PostgreSQL's NAMEDATALEN")
     */
    record Word(Pattern pattern, boolean mayBeEmpty, String description, int maxBytes, String why) implements ValueType {

        /** Requires a positive bound. */
        public Word {
            if (maxBytes < 1) {
                throw new IllegalArgumentException("a word is at most a positive number of bytes, got " + maxBytes);
            }
        }

        @Override
        public String describe() {
            return "string, " + description + ", at most " + maxBytes + " bytes";
        }

        @Override
        public Optional<String> boundProblem(DocumentValue value) {
            if (!(value instanceof DocumentValue.Text t)) {
                return Optional.empty();
            }
            // Counted without encoding the whole value: a document may hold a value of 256 KiB.
            long bytes = utf8Length(t.value());
            return bytes > maxBytes
                    ? Optional.of("is " + bytes + " bytes long; at most " + maxBytes + " are accepted (" + why + ")")
                    : Optional.empty();
        }

        private static long utf8Length(String s) {
            long bytes = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    bytes += 1;
                } else if (c < 0x800) {
                    bytes += 2;
                } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 4;
                    i++;
                } else {
                    bytes += 3;
                }
            }
            return bytes;
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
     * A non-empty array of distinct strings, each matching a pattern, of a bounded count and size.
     *
     * @param item        what each element must match
     * @param description each element's constraint in words
     * @param maxLength   the longest element, in UTF-16 units ({@link String#length()})
     * @param maxCount    the most elements a new document may list ({@link #boundProblem}); a stored
     *                    document is not held to it
     * @param maxChars    the most characters (UTF-16 units) of all elements together a new document
     *                    may list, held to it as to {@code maxCount}
     */
    record WordList(Pattern item, String description, int maxLength, int maxCount, int maxChars) implements ValueType {

        private static final String WHY = " (what an agent can parse and collect within its memory)";

        /** Requires positive bounds. */
        public WordList {
            if (maxLength < 1 || maxCount < 1 || maxChars < 1) {
                throw new IllegalArgumentException("a list holds at least one entry of at least one character");
            }
        }

        /**
         * Entries matching a pattern, of any length the pattern allows.
         *
         * @param item        what each entry matches
         * @param description what each entry is, for messages
         * @param maxCount    the most entries
         * @param maxChars    the most characters of all entries together
         */
        public WordList(Pattern item, String description, int maxCount, int maxChars) {
            this(item, description, Integer.MAX_VALUE, maxCount, maxChars);
        }

        /**
         * What is wrong with the size of the list as a whole: more entries than {@code maxCount}, or
         * more characters in all than {@code maxChars}. Checked for a new document and by the agent,
         * before any entry is looked at.
         *
         * @param value the parsed value
         * @return the bound exceeded, or empty when the value is no array or is small enough
         */
        @Override
        public Optional<String> boundProblem(DocumentValue value) {
            if (!(value instanceof DocumentValue.Array a)) {
                return Optional.empty();
            }
            if (a.items().size() > maxCount) {
                return Optional.of("lists " + a.items().size() + " entries; at most " + maxCount + " are accepted" + WHY);
            }
            long chars = 0;
            for (DocumentValue v : a.items()) {
                if (v instanceof DocumentValue.Text t) {
                    chars += t.value().length();
                }
            }
            if (chars > maxChars) {
                return Optional.of("lists " + chars + " characters in all; at most " + maxChars + " are accepted" + WHY);
            }
            return Optional.empty();
        }

        @Override
        public String describe() {
            return "non-empty array of at most " + maxCount + " distinct strings (" + maxChars
                    + " characters in all), each " + description;
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
