package io.pgfleet.domain.config;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.schema.ValidationError;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The expected outcomes of publishing a configuration.
 */
public sealed interface PublishResult {

    /**
     * A new version was created.
     *
     * @param revision the new revision
     */
    record Published(ConfigRevision revision) implements PublishResult {
        /** Requires the revision. */
        public Published {
            Objects.requireNonNull(revision, "revision");
        }
    }

    /**
     * The document equals the latest one: no new version.
     *
     * @param latest the existing latest revision
     */
    record Unchanged(ConfigRevision latest) implements PublishResult {
        /** Requires the revision. */
        public Unchanged {
            Objects.requireNonNull(latest, "latest");
        }
    }

    /**
     * The publisher's expectation of the latest revision no longer holds: someone else published
     * in between. Nothing was stored.
     *
     * @param current the latest revision now, if any
     */
    record VersionConflict(Optional<ConfigRevision> current) implements PublishResult {
        /** Requires the optional. */
        public VersionConflict {
            Objects.requireNonNull(current, "current");
        }
    }

    /**
     * No collector ever had this id. A decommissioned collector's id is answered with
     * {@link Decommissioned} instead, so that a caller can say "gone for good" without asking anyone
     * else.
     *
     * @param collectorId the unknown id
     */
    record CollectorNotFound(CollectorId collectorId) implements PublishResult {
        /** Requires the id. */
        public CollectorNotFound {
            Objects.requireNonNull(collectorId, "collectorId");
        }
    }

    /**
     * The id is a decommissioned collector's: it takes no configuration any more (its id is never
     * reused). Nothing was stored. The publishing use cases tell it from {@link CollectorNotFound}
     * on that refusal's path only (one read of the collector's decommission time), never when a
     * publish goes through.
     *
     * @param collectorId the collector
     * @param at          when it was decommissioned
     */
    record Decommissioned(CollectorId collectorId, java.time.Instant at) implements PublishResult {
        /** Requires both. */
        public Decommissioned {
            Objects.requireNonNull(collectorId, "collectorId");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * The document breaks the configuration schema; nothing was stored.
     *
     * @param errors the problems, with line, column and key: the first
     *               {@link io.pgfleet.domain.schema.Validation#MAX_REPORTED_ERRORS} by position
     * @param total  how many problems were found in all
     */
    record Invalid(List<ValidationError> errors, int total) implements PublishResult {
        /** Requires at least one error. */
        public Invalid {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("an invalid document has at least one error");
            }
            total = Math.max(total, errors.size());
        }

        /**
         * A validation's verdict.
         *
         * @param invalid the verdict
         */
        public Invalid(io.pgfleet.domain.schema.Validation.Invalid invalid) {
            this(invalid.errors(), invalid.total());
        }

        /**
         * Problems, all of them listed.
         *
         * @param errors the problems
         */
        public Invalid(List<ValidationError> errors) {
            this(errors, errors.size());
        }
    }

    /**
     * A rollback named a version the collector does not have; nothing was stored.
     *
     * @param collectorId the collector
     * @param version     the missing version
     */
    record UnknownVersion(CollectorId collectorId, ConfigVersion version) implements PublishResult {
        /** Requires both. */
        public UnknownVersion {
            Objects.requireNonNull(collectorId, "collectorId");
            Objects.requireNonNull(version, "version");
        }
    }

    /**
     * Some member lacks what its new effective document needs, as its agent reported; nothing stored
     * ({@code ?force=true} accepts it).
     *
     * @param refusal the lacking members, and the members whose agents never reported facts
     */
    record LacksCapabilities(io.pgfleet.domain.capability.CapabilityRefusal refusal) implements PublishResult {
        /** Requires the refusal. */
        public LacksCapabilities {
            java.util.Objects.requireNonNull(refusal, "refusal");
        }
    }
}
