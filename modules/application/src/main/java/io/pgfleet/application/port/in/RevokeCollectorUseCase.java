package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Instant;
import java.util.Objects;

/**
 * Cutting an agent off: its access and refresh tokens stop working at once.
 */
public interface RevokeCollectorUseCase {

    /**
     * Revokes a collector.
     *
     * @param collectorId the collector
     * @param actor       the operator
     * @return {@link RevokeResult.Revoked}, or why nothing was revoked
     */
    RevokeResult revokeCollector(CollectorId collectorId, Actor actor);

    /**
     * The outcome of a revocation. A decommissioned collector's id is told from one no collector
     * ever had by the use case, on the refusal's path only (one read of the collector's
     * decommission time, never when a revocation goes through), so that the answer to each can
     * differ ("gone for good" against "unknown") without its caller asking anyone else.
     */
    sealed interface RevokeResult {

        /** Revoked: the collector's tokens stopped working. */
        record Revoked() implements RevokeResult {
        }

        /**
         * No collector ever had this id; nothing changed.
         *
         * @param collectorId the id asked for
         */
        record CollectorNotFound(CollectorId collectorId) implements RevokeResult {
            /** Requires the id. */
            public CollectorNotFound {
                Objects.requireNonNull(collectorId, "collectorId");
            }
        }

        /**
         * The collector was decommissioned (and revoked with it, for good); nothing changed.
         *
         * @param collectorId the collector
         * @param at          when it was decommissioned
         */
        record Decommissioned(CollectorId collectorId, Instant at) implements RevokeResult {
            /** Requires both. */
            public Decommissioned {
                Objects.requireNonNull(collectorId, "collectorId");
                Objects.requireNonNull(at, "at");
            }
        }
    }
}
