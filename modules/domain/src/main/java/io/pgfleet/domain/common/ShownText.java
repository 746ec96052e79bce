package io.pgfleet.domain.common;

/**
 * Text that people read on terminals, in logs and in the console: what in it would be acted on
 * instead of shown. A control character other than the line feed and the tab (an escape sequence
 * moves the cursor, retitles the window, clears the screen; a carriage return lets one line
 * overwrite another), a bidirectional formatting character (which shows a name reversed,
 * {@code U+202E}) or a Unicode line or paragraph separator ({@code U+2028}, {@code U+2029}: many
 * editors and terminals break the line there, so one line can show as two) is such a character.
 */
public final class ShownText {

    private ShownText() {
    }

    /**
     * How many characters a text has, as its reader counts them and as PostgreSQL's
     * {@code char_length} does: Unicode code points. {@link String#length()} counts UTF-16 units, in
     * which a character outside the basic plane (an emoji, a CJK extension ideograph) counts two, so a
     * limit of "1000 characters" held a message of 500 emoji. Every length limit on text people write
     * (a change message, a group description, a collector's name and host name, a label value) counts
     * this way.
     *
     * @param s the text
     * @return its code points
     */
    public static int characters(String s) {
        return s.codePointCount(0, s.length());
    }

    /**
     * Whether a character would be acted on rather than shown.
     *
     * @param c the character
     * @return true for C0 controls but line feed and tab, DEL, C1 controls, bidi formatting characters
     *         and the line and paragraph separators
     */
    public static boolean actedOn(char c) {
        return Character.isISOControl(c) && c != '\n' && c != '\t'
                || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || c >= '\u2028' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069';
    }

    /**
     * Whether a character is refused in one line of text that people read: a label value, a name,
     * a host name. That is every control character, line feeds and tabs too (a label or a name is
     * one line: a line feed in it shows as two), and every character {@link #actedOn} names.
     *
     * @param c the character
     * @return true for the characters one line of text must not hold
     */
    public static boolean breaksALine(char c) {
        return Character.isISOControl(c) || actedOn(c);
    }

    /**
     * The first character {@link #breaksALine} refuses, as {@code U+XXXX NAME at character N} (N
     * counted from 1).
     *
     * @param s the text
     * @return the description, or empty when the text holds none
     */
    public static java.util.Optional<String> firstBreakingALine(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (breaksALine(s.charAt(i))) {
                return java.util.Optional.of(named(s.charAt(i)) + " at character " + (i + 1));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A character as a message names it: {@code U+2028 LINE SEPARATOR}, {@code U+001B ESCAPE}.
     *
     * @param c the character
     * @return its code point and, where Unicode gives one, its name
     */
    public static String named(char c) {
        String name = Character.getName(c);
        return String.format("U+%04X", (int) c) + (name == null ? "" : " " + name);
    }

    /**
     * The first character that would be acted on, as {@code U+XXXX NAME at character N} (N counted
     * from 1), named as {@link #named} names it.
     *
     * @param s the text
     * @return the description, or empty when the text has none
     */
    public static java.util.Optional<String> firstActedOn(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (actedOn(s.charAt(i))) {
                return java.util.Optional.of(named(s.charAt(i)) + " at character " + (i + 1));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * The text with every character that would be acted on written as <code>&#92;uXXXX</code>;
     * everything else, line feeds and tabs included, as it was.
     *
     * @param s the text
     * @return the text, safe to show
     */
    public static String escaped(String s) {
        if (firstActedOn(s).isEmpty()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (actedOn(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The most characters of a value a message quotes: enough to recognise it, never the whole of a long one. */
    public static final int MAX_QUOTED = 64;

    /**
     * A value as a message quotes it: whole when it has at most {@link #MAX_QUOTED} characters,
     * else its first {@link #MAX_QUOTED}, then {@code … (N characters)}; a message that repeated a
     * value of any length would cost what the value costs, in every answer and every log line.
     *
     * @param s the value, null quoted as {@code null}
     * @return the value or its beginning, and its length
     */
    public static String quoted(String s) {
        return cut(String.valueOf(s), MAX_QUOTED, " characters)");
    }

    /**
     * A text cut to at most {@code max} characters (never between the halves of a surrogate pair),
     * followed by {@code … (N} and the suffix when it was longer.
     *
     * @param s      the text
     * @param max    the most characters kept
     * @param suffix what follows the total length, e.g. {@code " characters)"}
     * @return the text, or its beginning and its length
     */
    public static String cut(String s, int max, String suffix) {
        if (s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end) + "\u2026 (" + s.length() + suffix;
    }
}
