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

    /**
     * What a new label value may hold (at most {@value #MAX_NAME_LENGTH} of them, none at all too): ASCII
     * letters, digits and {@code . _ - / : @}, as label names hold. Labels decide where a configuration
     * goes, so two that look the same must be the same: a letter of another script that looks like a
     * Latin one ({@code prоd} with a Cyrillic o), a zero-width space or a bidirectional control would
     * make a value that shows as {@code prod} and matches no selector asking for {@code prod}. No space
     * (a query selector trims them) and no comma (a selector's separator).
     */
    public static final String LABEL_VALUE_CHARACTERS =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/:@";

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
        if (ShownText.characters(text) > MAX_NAME_LENGTH) {
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
     * most {@value #MAX_NAME_LENGTH} of {@link #LABEL_VALUE_CHARACTERS}. A name or value a selector
     * cannot express would put the collector beyond every group; a value that looks like another would
     * put it beyond the groups an operator sees it in.
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
            checkNewLabelValue(k, v);
        });
        return labels;
    }

    /**
     * Checks labels about to replace a collector's labels: as {@link #checkNewLabels(Map)}, except that a
     * label it already carries with the same value is not checked again. A value an earlier release
     * stored (a space, a comma, a Cyrillic letter) stays until it is changed, so changing another label
     * of that collector does not first require fixing it; a new or changed value follows today's rule.
     *
     * @param labels  the labels to be set
     * @param carried the labels the collector carries now
     * @return the same labels
     * @throws IllegalArgumentException naming the first new or changed label that is not accepted
     */
    public static Map<String, String> checkNewLabels(Map<String, String> labels, Map<String, String> carried) {
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(carried, "carried");
        // A collector stored with more labels than today's limit may keep them or shed some, not gain one.
        if (labels.size() > MAX_LABELS && labels.size() > carried.size()) {
            throw new IllegalArgumentException("a collector has at most " + MAX_LABELS + " labels, got " + labels.size());
        }
        Map<String, String> changed = new java.util.LinkedHashMap<>();
        labels.forEach((k, v) -> {
            if (v == null || !v.equals(carried.get(k))) {
                changed.put(k, v);
            }
        });
        checkNewLabels(changed);
        return labels;
    }

    /**
     * Checks a new label's value against {@link #LABEL_VALUE_CHARACTERS}, naming the first character
     * that is not one of them.
     */
    private static void checkNewLabelValue(String name, String value) {
        String what = "label value of '" + name + "'";
        if (value == null) {
            throw new IllegalArgumentException(what + " must be given");
        }
        if (ShownText.characters(value) > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(what + " must be at most " + MAX_NAME_LENGTH + " characters, got "
                    + value.codePointCount(0, value.length()));
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (LABEL_VALUE_CHARACTERS.indexOf(c) < 0) {
                // A comma first: it is the one a selector would read as the start of another label.
                throw new IllegalArgumentException(what + (c == ',' ? " must not contain a comma" : " must not contain "
                        + ShownText.named(c)) + " (at character " + (i + 1) + "): a label value is at most "
                        + MAX_NAME_LENGTH + " of the ASCII letters, digits, '.', '_', '-', '/', ':' and '@' (no space,"
                        + " and no comma: a selector separates labels with commas, env=prod,region=eu)");
            }
        }
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
        if (ShownText.characters(text) > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(what + " must be at most " + MAX_NAME_LENGTH + " characters");
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " must not contain control characters");
        }
        return text;
    }
}
