package io.pgfleet.domain.layer;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Selects collectors by labels: a collector matches when it has every label of the selector with
 * the same value. The empty selector matches every collector.
 *
 * @param labels the required labels, sorted by name
 */
public record LabelSelector(Map<String, String> labels) {

    /** At most this many labels in a selector (as on a collector). */
    public static final int MAX_LABELS = io.pgfleet.domain.collector.Collector.MAX_LABELS;
    private static final Pattern NAME = io.pgfleet.domain.collector.Collector.LABEL_NAME;

    /** Copies and sorts the labels; requires well-formed names and values of at most 256 characters (stored ones load). */
    public LabelSelector {
        Objects.requireNonNull(labels, "labels");
        if (labels.size() > MAX_LABELS) {
            throw new IllegalArgumentException("a selector has at most " + MAX_LABELS + " labels");
        }
        labels.forEach(LabelSelector::checkLabel);
        labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
    }

    /**
     * Checks one label: a name of 1–63 letters, digits, {@code . _ / -} starting with a letter or
     * digit, and a value of at most 256 characters without NUL (what a stored selector may hold; a
     * value beyond it is refused with the rule for new labels, 200 characters).
     *
     * @param name  the label name
     * @param value the label value
     * @throws IllegalArgumentException when either is malformed
     */
    public static void checkLabel(String name, String value) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("label name '" + (name == null ? "" : io.pgfleet.domain.common.ShownText.escaped(
                    name.length() > 64 ? name.substring(0, 64) + "…" : name)) + "' must be 1-63 letters, digits, '.', '_', '/' or '-',"
                    + " starting with a letter or digit");
        }
        // Stored selectors load with values of up to 256 characters (an earlier release's bound), so
        // only new input is refused for its length here; it is told the rule new labels follow.
        if (value == null) {
            throw new IllegalArgumentException("the value of label '" + name + "' must be given");
        }
        if (value.length() > io.pgfleet.domain.collector.Collector.MAX_STORED_LABEL_VALUE_LENGTH) {
            // The bound counts UTF-16 units, the rule characters: a value past the bound may still be
            // under 200 characters (ones beyond the Basic Multilingual Plane), which the rule refuses
            // for what they are. The rule refuses every such value, and says why in its own words.
            io.pgfleet.domain.collector.Collector.checkNewLabels(Map.of(name, value));
            throw new IllegalArgumentException("the value of label '" + name + "' must be at most "
                    + io.pgfleet.domain.collector.Collector.MAX_NAME_LENGTH + " characters");
        }
        if (value.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("the value of label '" + name + "' must not contain NUL");
        }
    }

    /**
     * Checks a selector about to be given to a group (created, or its selector changed): it holds
     * only labels a collector can carry ({@link io.pgfleet.domain.collector.Collector#checkNewLabels}),
     * since a label no collector can carry (a value of 201 characters, a control or bidirectional
     * formatting character) makes a group that matches none and shows that character to whoever
     * lists groups. One stored by an earlier release still loads.
     *
     * @param selector the selector
     * @return the same selector
     * @throws IllegalArgumentException saying which label no collector could carry, and why
     */
    public static LabelSelector checkNew(LabelSelector selector) {
        try {
            io.pgfleet.domain.collector.Collector.checkNewLabels(selector.labels());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("selector: no collector could carry this label, so the group could"
                    + " match none: " + e.getMessage(), e);
        }
        return selector;
    }

    /**
     * Checks a selector about to replace a group's stored one: as {@link #checkNew(LabelSelector)},
     * except that a label the stored selector already has with the same value is not checked again,
     * so a selector an earlier release stored can be sent back unchanged (with a new priority or
     * description, or another label added) without first being fixed.
     *
     * @param selector the selector to be set
     * @param stored   the group's selector now
     * @return the same selector
     * @throws IllegalArgumentException saying which new or changed label no collector could carry, and why
     */
    public static LabelSelector checkNew(LabelSelector selector, LabelSelector stored) {
        Map<String, String> changed = new TreeMap<>();
        selector.labels().forEach((k, v) -> {
            if (!v.equals(stored.labels().get(k))) {
                changed.put(k, v);
            }
        });
        checkNew(new LabelSelector(changed));
        return selector;
    }

    /**
     * Parses {@code env=prod,region=eu}; the empty text is the empty selector.
     *
     * @param text the selector
     * @return the selector
     * @throws IllegalArgumentException when a part is not {@code name=value}
     */
    public static LabelSelector parse(String text) {
        Map<String, String> labels = new TreeMap<>();
        if (!text.isBlank()) {
            for (String part : text.split(",", -1)) {
                int eq = part.indexOf('=');
                if (eq < 1) {
                    // "env=prod,eu" lands here too: a label value holds no comma, so "eu" is a label of its own.
                    throw new IllegalArgumentException("a selector is name=value[,name=value…] (a label value holds"
                            + " no comma), got '" + part + "'");
                }
                String name = part.substring(0, eq).strip();
                if (labels.put(name, part.substring(eq + 1).strip()) != null) {
                    throw new IllegalArgumentException("label '" + name + "' appears twice in the selector");
                }
            }
        }
        return new LabelSelector(labels);
    }

    /**
     * Whether a collector's labels satisfy this selector.
     *
     * @param collectorLabels the collector's labels
     * @return true when every selector label is present with the same value
     */
    public boolean matches(Map<String, String> collectorLabels) {
        return labels.entrySet().stream().allMatch(e -> e.getValue().equals(collectorLabels.get(e.getKey())));
    }

    @Override
    public String toString() {
        return String.join(",", labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }
}
