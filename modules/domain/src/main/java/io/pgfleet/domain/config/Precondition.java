package io.pgfleet.domain.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the publisher expects the latest revision to be (HTTP {@code If-Match}): the guard against
 * lost updates when two operators edit the same configuration.
 */
public sealed interface Precondition {

    /**
     * Whether the publish may proceed given the current latest revision.
     *
     * @param latest the latest revision, if the collector has one
     * @return true when the expectation holds
     */
    default boolean isMetBy(Optional<ConfigRevision> latest) {
        return isMetByTag(latest.map(ConfigRevision::entityTag));
    }

    /**
     * Whether the publish may proceed given the tag of the current latest version of any history
     * (a collector's, a layer's, or a collector's effective revisions).
     *
     * @param latest the latest version's tag, if there is a latest version
     * @return true when the expectation holds
     */
    boolean isMetByTag(Optional<EntityTag> latest);

    /** No expectation: publish on top of whatever is latest. */
    record None() implements Precondition {
        @Override
        public boolean isMetByTag(Optional<EntityTag> latest) {
            return true;
        }
    }

    /** {@code If-Match: *}: some configuration must already exist. */
    record AnyExisting() implements Precondition {
        @Override
        public boolean isMetByTag(Optional<EntityTag> latest) {
            return latest.isPresent();
        }
    }

    /**
     * The latest revision must carry one of these tags (strong comparison).
     *
     * @param tags the acceptable tags, at least one
     */
    record MatchesOneOf(List<EntityTag> tags) implements Precondition {
        /** Requires at least one tag. */
        public MatchesOneOf {
            Objects.requireNonNull(tags, "tags");
            if (tags.isEmpty()) {
                throw new IllegalArgumentException("a match precondition names at least one tag");
            }
            tags = List.copyOf(tags);
        }

        @Override
        public boolean isMetByTag(Optional<EntityTag> latest) {
            return latest.map(tags::contains).orElse(false);
        }
    }
}
