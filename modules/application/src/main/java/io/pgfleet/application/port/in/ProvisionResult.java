package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.Collector;

/**
 * The outcome of provisioning a collector.
 */
public sealed interface ProvisionResult {

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
