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
     * @return {@link ProvisionResult.Provisioned}, or {@link ProvisionResult.AlreadyExists} when the id is taken
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
    }
}
