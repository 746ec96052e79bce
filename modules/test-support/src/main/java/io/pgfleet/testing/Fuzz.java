package io.pgfleet.testing;

import java.util.List;
import java.util.Random;

/**
 * Seeded random inputs for fuzz tests: token soups, edited copies of valid documents, arbitrary
 * Unicode. Every run draws a new seed unless {@code -Dpgfleet.fuzz.seed=…} fixes one, and a failing
 * test names its seed, so any failure can be replayed exactly. The number of tries is bounded (and
 * can be raised with {@code -Dpgfleet.fuzz.tries=…}) so the suite stays fast.
 */
public final class Fuzz {

    private Fuzz() {
    }

    /**
     * The seed of this run.
     *
     * @return {@code pgfleet.fuzz.seed} when set, else a fresh random seed
     */
    public static long seed() {
        String fixed = System.getProperty("pgfleet.fuzz.seed", "");
        return fixed.isBlank() ? new Random().nextLong() : Long.parseLong(fixed.trim());
    }

    /**
     * How many inputs to try.
     *
     * @param usual the test's bounded default
     * @return {@code pgfleet.fuzz.tries} when set, else {@code usual}
     */
    public static int tries(int usual) {
        String given = System.getProperty("pgfleet.fuzz.tries", "");
        return given.isBlank() ? usual : Integer.parseInt(given.trim());
    }

    /**
     * Tokens glued together.
     *
     * @param random    the source
     * @param tokens    what to glue
     * @param maxTokens at most this many
     * @return the text
     */
    public static String soup(Random random, List<String> tokens, int maxTokens) {
        StringBuilder b = new StringBuilder();
        int n = random.nextInt(maxTokens + 1);
        for (int i = 0; i < n; i++) {
            b.append(tokens.get(random.nextInt(tokens.size())));
        }
        return b.toString();
    }

    /**
     * A copy of a text with 1 to {@code maxEdits} edits: a token inserted, a stretch deleted or
     * duplicated, or a stretch replaced by a token.
     *
     * @param random   the source
     * @param text     the text to edit
     * @param tokens   what may be inserted
     * @param maxEdits at most this many edits
     * @return the edited text
     */
    public static String mutate(Random random, String text, List<String> tokens, int maxEdits) {
        String doc = text;
        int edits = 1 + random.nextInt(maxEdits);
        for (int i = 0; i < edits; i++) {
            int pos = random.nextInt(doc.length() + 1);
            int end = Math.min(doc.length(), pos + 1 + random.nextInt(40));
            String token = tokens.get(random.nextInt(tokens.size()));
            doc = switch (random.nextInt(4)) {
                case 0 -> doc.substring(0, pos) + token + doc.substring(pos);
                case 1 -> doc.substring(0, pos) + doc.substring(end);
                case 2 -> doc.substring(0, end) + doc.substring(pos, end) + doc.substring(end);
                default -> doc.substring(0, pos) + token + doc.substring(end);
            };
        }
        return doc;
    }

    /**
     * Arbitrary UTF-16 text, lone surrogates and control characters included.
     *
     * @param random    the source
     * @param maxLength at most this many chars
     * @return the text
     */
    public static String unicode(Random random, int maxLength) {
        int n = random.nextInt(maxLength + 1);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(random.nextInt(4) == 0 ? (char) random.nextInt(0x80) : (char) random.nextInt(0x10000));
        }
        return b.toString();
    }

    /**
     * A text shortened for a failure message, NUL shown as {@code \0}.
     *
     * @param text the input
     * @return at most about 300 characters of it
     */
    public static String shown(String text) {
        String s = text.replace("\u0000", "\\0");
        return s.length() > 300 ? s.substring(0, 300) + "… (" + text.length() + " chars)" : s;
    }
}
