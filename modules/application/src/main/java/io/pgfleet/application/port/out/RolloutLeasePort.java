package io.pgfleet.application.port.out;

import java.time.Duration;

/**
 * The lease that lets exactly one server instance drive rollouts at a time.
 */
public interface RolloutLeasePort {

    /**
     * Takes or renews the lease when it is free, expired or already this instance's.
     *
     * @param instance this instance's name
     * @param ttl      how long the lease lasts without renewal
     * @return true when this instance holds the lease now
     */
    boolean lead(String instance, Duration ttl);

    /**
     * Gives the lease up at once (a stopping instance), when this instance holds it.
     *
     * @param instance this instance's name
     */
    void release(String instance);
}
