package io.pgfleet.application.port.in;

import java.util.Optional;

/**
 * Liveness and readiness, for load balancers and orchestrators.
 */
public interface HealthQuery {

    /**
     * Whether this instance can serve: its database answers.
     *
     * @return empty when ready, else why not
     */
    Optional<String> notReadyBecause();
}
