package io.pgfleet.domain.collector;

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
     * Checks labels about to be set (at registration, provisioning or a label change): keys and
     * values of at most {@value #MAX_NAME_LENGTH} characters without control characters, keys not
     * empty. Control characters in a label would reach terminals and logs that show it.
     *
     * @param labels the labels
     * @return the same labels
     * @throws IllegalArgumentException naming the first label that is not accepted
     */
    public static Map<String, String> checkNewLabels(Map<String, String> labels) {
        Objects.requireNonNull(labels, "labels");
        labels.forEach((k, v) -> {
            checkText("label key", k);
            checkText("label value", v);
            if (k.isEmpty()) {
                throw new IllegalArgumentException("label keys must not be empty");
            }
        });
        return labels;
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
