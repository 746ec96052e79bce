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

    /**
     * Most groups at a time (deleted ones do not count: the retention purge deletes them once they
     * have been deleted as long as audit entries are kept). Every group's layer that a collector
     * merges is named in its configuration answers and composed for it, and {@code GET /api/v1/groups}
     * lists them all: a bound keeps both bounded.
     */
    public static final int MAX_GROUPS = 1_000;

    /** The order groups apply in: ascending priority, then id. */
    public static final Comparator<Group> APPLY_ORDER =
            Comparator.comparingInt(Group::priority).thenComparing(g -> g.id().value());

    /** Requires every part and a bounded description. */
    public Group {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(description, "description");
        if (io.pgfleet.domain.common.ShownText.characters(description) > 1000 || description.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("a group description is at most 1000 characters without NUL");
        }
    }

    /**
     * Checks a description about to be set (a group created, or its description changed): besides
     * the bounds every stored one keeps, no character a terminal or a log would act on rather than
     * show ({@link io.pgfleet.domain.common.ShownText}); line feeds and tabs are text. Operators type
     * descriptions, so a refusal is answered at once; one stored by an earlier release still loads.
     *
     * @param description the description
     * @return the same description
     * @throws IllegalArgumentException naming the first such character
     */
    public static String checkNewDescription(String description) {
        io.pgfleet.domain.common.ShownText.firstActedOn(description).ifPresent(at -> {
            throw new IllegalArgumentException("description: control characters other than line feed and tab,"
                    + " bidirectional formatting characters and line or paragraph separators are not accepted ("
                    + at + ")");
        });
        return description;
    }
}
