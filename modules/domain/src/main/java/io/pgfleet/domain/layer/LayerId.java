package io.pgfleet.domain.layer;

import io.pgfleet.domain.collector.CollectorId;

import java.util.Objects;

/**
 * Which layer of the configuration: the fleet's, a group's or a collector's own.
 */
public sealed interface LayerId {

    /**
     * The name used in sources and audit: {@code fleet}, {@code group/<id>} or {@code collector}.
     *
     * @return the name
     */
    String label();

    /**
     * The source name of one version of this layer, as in {@code X-Config-Sources}.
     *
     * @param version the layer version
     * @return e.g. {@code group/prod-eu@7}
     */
    default String source(int version) {
        return label() + "@" + version;
    }

    /** The fleet layer, under every group. */
    record Fleet() implements LayerId {
        @Override
        public String label() {
            return "fleet";
        }
    }

    /**
     * A group's layer.
     *
     * @param id the group
     */
    record Group(GroupId id) implements LayerId {
        /** Requires the id. */
        public Group {
            Objects.requireNonNull(id, "id");
        }

        @Override
        public String label() {
            return "group/" + id.value();
        }
    }

    /**
     * A collector's own layer, over every group.
     *
     * @param id the collector
     */
    record Own(CollectorId id) implements LayerId {
        /** Requires the id. */
        public Own {
            Objects.requireNonNull(id, "id");
        }

        @Override
        public String label() {
            return "collector";
        }
    }
}
