package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * Every use case of the application, by context: what an incoming adapter is handed by the composition root.
 *
 * @param config configurations
 * @param collectors collectors and their identities
 * @param access identity and access
 * @param fleet the fleet
 * @param layers the fleet configuration layers
 * @param operations audit and health
 * @param rollouts staged rollouts of layer versions
 */
public record UseCases(ConfigUseCases config, CollectorUseCases collectors, AccessUseCases access,
                       FleetUseCases fleet, OperationsUseCases operations,
                       LayerUseCases layers, RolloutUseCases rollouts) {

    /** Requires every use case. */
    public UseCases {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(collectors, "collectors");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(operations, "operations");
        Objects.requireNonNull(layers, "layers");
        Objects.requireNonNull(rollouts, "rollouts");
    }
}
