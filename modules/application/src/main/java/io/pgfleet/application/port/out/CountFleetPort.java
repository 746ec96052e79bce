package io.pgfleet.application.port.out;

import io.pgfleet.domain.fleet.FleetCounts;

/**
 * Counts the fleet's collectors by state in the store, without reading them one by one: what the
 * fleet gauges need, whatever the size of the fleet.
 */
public interface CountFleetPort {

    /**
     * The fleet's counts now, with the meaning of {@link FleetCounts#of} over the fleet view.
     *
     * @return the counts
     */
    FleetCounts countFleet();
}
