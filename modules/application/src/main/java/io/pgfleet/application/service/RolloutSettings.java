package io.pgfleet.application.service;

import java.time.Duration;
import java.util.Objects;

/**
 * How this server instance takes part in driving rollouts.
 *
 * @param instance this instance's name, unique among the instances sharing a database (shown as a
 *                 rollout's driver)
 * @param lease    how long the driver's lease lasts without renewal; another instance takes over
 *                 that long after the driver stops renewing it
 */
public record RolloutSettings(String instance, Duration lease) {

    /** Requires a name of 1 to 200 characters and a lease of 1 s to 1 h. */
    public RolloutSettings {
        Objects.requireNonNull(lease, "lease");
        if (instance == null || instance.isBlank() || instance.length() > 200) {
            throw new IllegalArgumentException("an instance name is 1 to 200 characters");
        }
        if (lease.compareTo(Duration.ofSeconds(1)) < 0 || lease.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("the rollout lease is 1 s to 1 h, got " + lease);
        }
    }
}
