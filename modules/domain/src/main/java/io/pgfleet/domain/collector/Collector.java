package io.pgfleet.domain.collector;

import io.pgfleet.domain.common.ShownText;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A monitoring agent known to the control plane. It may exist before its agent does
 * (pre-provisioned), so that its configuration can be written first.
 *
 * @param id        its identity
 * @param name      the name shown in the fleet view
 * @param hostname  the database host it runs on, empty when not yet known
 * @param labels    free-form labels such as {@code env=prod}
 * @param createdAt when it became known
 * @param revoked   whether its access has been revoked: its tokens no longer work
 */
public record Collector(CollectorId id, String name, String hostname, Map<String, String> labels, Instant createdAt,
                        boolean revoked) {

    /** Maximum length of a name or host name. */
    public static final int MAX_NAME_LENGTH = 200;

    /** At most this many labels on a collector, as in a group's selector. */
    public static final int MAX_LABELS = 32;

    /**
     * What a label name may be: 1–63 letters, digits, {@code . _ / -}, starting with a letter or
     * digit, so that every label can be named in a selector ({@code env=prod,region=eu}).
     */
    public static final java.util.regex.Pattern LABEL_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,62}");

    /** The longest label value a stored collector may carry (what operators could set by label changes). */
    public static final int MAX_STORED_LABEL_VALUE_LENGTH = 256;

    /**
     * Validates names and copies the labels into an immutable, ordered map. Labels are checked as
     * they may be stored, which is wider than what a new label may be ({@link #checkNewLabels}): a
     * label stored by an earlier release (a value of up to 256 characters, control characters) must
     * still load, or one collector would make the whole fleet unreadable.
     */
    public Collector {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(createdAt, "createdAt");
        name = checkText("name", name);
        hostname = checkText("hostname", hostname);
        Objects.requireNonNull(labels, "labels");
        labels.forEach((k, v) -> {
            checkText("label key", k);
            if (k.isEmpty()) {
                throw new IllegalArgumentException("label keys must not be empty");
            }
            if (v == null || v.length() > MAX_STORED_LABEL_VALUE_LENGTH || v.indexOf('\u0000') >= 0) {
                throw new IllegalArgumentException("label value must be at most " + MAX_STORED_LABEL_VALUE_LENGTH
                        + " characters without NUL");
            }
        });
        labels = Map.copyOf(new TreeMap<>(labels));
    }

    /**
     * Checks a name or host name about to be given to a collector (at registration or provisioning):
     * at most {@value #MAX_NAME_LENGTH} characters, no control character, and none that a terminal or a
     * log would act on rather than show ({@link ShownText}: a right-to-left override would show
     * another name in the fleet view and the audit trail). One stored by an earlier release still loads.
     *
     * @param what what the text is, for the message ({@code name}, {@code hostname})
     * @param text the text
     * @return the same text
     * @throws IllegalArgumentException naming the first character not accepted
     */
    public static String checkNewText(String what, String text) {
        if (text == null) {
            throw new IllegalArgumentException(what + " must be given");
        }
        if (text.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(what + " must be at most " + MAX_NAME_LENGTH + " characters");
        }
        // Line feeds and tabs too, which ShownText.actedOn lets through: a name or a label is one line.
        java.util.Optional<String> refused = ShownText.firstBreakingALine(text);
        if (refused.isPresent()) {
            throw new IllegalArgumentException(what + " must not contain control characters, bidirectional"
                    + " formatting characters or line or paragraph separators (" + refused.get() + ")");
        }
        return text;
    }

    /**
     * Checks labels about to be set (at registration, provisioning or a label change), one rule for
     * all three: at most {@value #MAX_LABELS} labels, names as {@link #LABEL_NAME} says, values of at
     * most {@value #MAX_NAME_LENGTH} characters without control characters, bidirectional formatting
     * characters or line separators ({@link #checkNewText}). A name a selector cannot express would
     * put the collector beyond every group; those characters in a label would reach terminals and
     * logs that show it, acted on.
     *
     * @param labels the labels
     * @return the same labels
     * @throws IllegalArgumentException naming the first label that is not accepted
     */
    public static Map<String, String> checkNewLabels(Map<String, String> labels) {
        Objects.requireNonNull(labels, "labels");
        if (labels.size() > MAX_LABELS) {
            throw new IllegalArgumentException("a collector has at most " + MAX_LABELS + " labels, got " + labels.size());
        }
        labels.forEach((k, v) -> {
            if (k == null || !LABEL_NAME.matcher(k).matches()) {
                throw new IllegalArgumentException("label name '" + (k == null ? "" : printable(k)) + "' must be 1-63 letters,"
                        + " digits, '.', '_', '/' or '-', starting with a letter or digit");
            }
            checkNewText("label value of '" + k + "'", v);
            // A selector separates its labels with commas (env=prod,region=eu): a value holding one
            // could be asked for by no selector in a query, and a group's selector holding one would
            // be read back, in a 'next' link or an audit entry, as two labels.
            int comma = v.indexOf(',');
            if (comma >= 0) {
                throw new IllegalArgumentException("label value of '" + k + "' must not contain a comma (at character "
                        + (comma + 1) + "): a selector separates labels with commas (env=prod,region=eu)");
            }
        });
        return labels;
    }

    /**
     * A refused name as an error message may quote it: at most 64 characters, line feeds and tabs as
     * '?', anything else a terminal would act on escaped.
     */
    private static String printable(String name) {
        String cut = name.length() > 64 ? name.substring(0, 64) + "…" : name;
        return ShownText.escaped(cut.replace('\n', '?').replace('\t', '?'));
    }

    private static String checkText(String what, String text) {
        if (text == null) {
            throw new IllegalArgumentException(what + " must be given");
        }
        if (text.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(what + " must be at most " + MAX_NAME_LENGTH + " characters");
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " must not contain control characters");
        }
        return text;
    }
}
