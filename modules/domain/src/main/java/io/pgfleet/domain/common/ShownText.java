package io.pgfleet.domain.common;

/**
 * Text that people read on terminals, in logs and in the console: what in it would be acted on
 * instead of shown. A control character other than the line feed and the tab (an escape sequence
 * moves the cursor, retitles the window, clears the screen; a carriage return lets one line
 * overwrite another) or a bidirectional formatting character (which shows a name reversed,
 * {@code U+202E}) is such a character.
 */
public final class ShownText {

    private ShownText() {
    }

    /**
     * Whether a character would be acted on rather than shown.
     *
     * @param c the character
     * @return true for C0 controls but line feed and tab, DEL, C1 controls and bidi formatting characters
     */
    public static boolean actedOn(char c) {
        return Character.isISOControl(c) && c != '\n' && c != '\t'
                || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069';
    }

    /**
     * The first character that would be acted on, as {@code U+XXXX at N} (N counted from 1).
     *
     * @param s the text
     * @return the description, or empty when the text has none
     */
    public static java.util.Optional<String> firstActedOn(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (actedOn(s.charAt(i))) {
                return java.util.Optional.of(String.format("U+%04X at character %d", (int) s.charAt(i), i + 1));
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
}
