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

    /** Validates names and copies the labels into an immutable, ordered map. */
    public Collector {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(createdAt, "createdAt");
        name = checkText("name", name);
        hostname = checkText("hostname", hostname);
        Objects.requireNonNull(labels, "labels");
        labels.forEach((k, v) -> {
            checkText("label key", k);
            checkText("label value", v);
            if (k.isEmpty()) {
                throw new IllegalArgumentException("label keys must not be empty");
            }
        });
        labels = Map.copyOf(new TreeMap<>(labels));
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
