package io.pgfleet.domain.layer;

import java.util.Comparator;
import java.util.Objects;

/**
 * A group of collectors chosen by labels, whose layer applies between the fleet layer and the
 * collectors' own layers; groups apply by ascending priority, ties by id.
 *
 * @param id          the group
 * @param selector    which collectors belong to it
 * @param priority    order among groups: a higher priority applies later and wins
 * @param description free text, at most 1000 characters
 */
public record Group(GroupId id, LabelSelector selector, int priority, String description) {

    /** The order groups apply in: ascending priority, then id. */
    public static final Comparator<Group> APPLY_ORDER =
            Comparator.comparingInt(Group::priority).thenComparing(g -> g.id().value());

    /** Requires every part and a bounded description. */
    public Group {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(description, "description");
        if (description.length() > 1000 || description.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("a group description is at most 1000 characters without NUL");
        }
    }
}
