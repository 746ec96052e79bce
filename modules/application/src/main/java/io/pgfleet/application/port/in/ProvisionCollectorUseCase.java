package io.pgfleet.application.port.in;

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
}
