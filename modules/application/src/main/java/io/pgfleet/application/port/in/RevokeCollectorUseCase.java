package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

/**
 * Cutting an agent off: its access and refresh tokens stop working at once.
 */
public interface RevokeCollectorUseCase {

    /**
     * Revokes a collector.
     *
     * @param collectorId the collector
     * @param actor       the operator
     * @return true when revoked, false when no such collector
     */
    boolean revokeCollector(CollectorId collectorId, Actor actor);
}
