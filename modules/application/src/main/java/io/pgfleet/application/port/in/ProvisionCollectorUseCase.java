package io.pgfleet.application.port.in;
import io.pgfleet.domain.collector.Collector;

/**
 * Pre-provisioning collectors.
 */
public interface ProvisionCollectorUseCase {

    /**
     * Makes a collector known.
     *
     * @param command the collector to create
     * @return {@link ProvisionResult.Provisioned}, or {@link ProvisionResult.AlreadyExists} when the id is taken,
     *         or {@link ProvisionResult.Decommissioned} when it was a decommissioned collector's (never reused)
     */
    ProvisionResult provision(ProvisionCollectorCommand command);

    /**
     * The outcome of provisioning a collector.
     */
    sealed interface ProvisionResult {

        /**
         * The collector is new.
         *
         * @param collector the collector as stored
         */
        record Provisioned(Collector collector) implements ProvisionResult {
        }

        /**
         * A collector with this id already exists; it is left as it was.
         *
         * @param existing the existing collector
         */
        record AlreadyExists(Collector existing) implements ProvisionResult {
        }

        /**
         * The id was a collector's that has been decommissioned: ids are never reused, so nothing
         * was created (a host needs a new id).
         *
         * @param collectorId the id asked for
         * @param at          when its collector was decommissioned
         */
        record Decommissioned(io.pgfleet.domain.collector.CollectorId collectorId, java.time.Instant at)
                implements ProvisionResult {
            /** Requires both. */
            public Decommissioned {
                java.util.Objects.requireNonNull(collectorId, "collectorId");
                java.util.Objects.requireNonNull(at, "at");
            }
        }
    }
}
