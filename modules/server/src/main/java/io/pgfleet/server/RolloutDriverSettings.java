package io.pgfleet.server;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How this instance takes part in driving staged rollouts.
 *
 * @param tick     how often the driver looks at active rollouts (50 ms to 60 s)
 * @param lease    how long the driver's lease lasts without renewal (1 s to 1 h; longer than the tick)
 * @param instance this instance's name among those sharing the database
 */
public record RolloutDriverSettings(Duration tick, Duration lease, String instance) {

    /** Requires bounded durations, a lease longer than the tick, and a name. */
    public RolloutDriverSettings {
        Objects.requireNonNull(tick, "tick");
        Objects.requireNonNull(lease, "lease");
        if (tick.toMillis() < 50 || tick.toMillis() > 60_000) {
            throw new IllegalArgumentException("rollout_tick_ms (PGFLEET_ROLLOUT_TICK_MS) must be 50..60000, got "
                    + tick.toMillis());
        }
        if (lease.toSeconds() < 1 || lease.toSeconds() > 3600 || lease.compareTo(tick.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("rollout_lease (PGFLEET_ROLLOUT_LEASE) must be 1..3600 seconds and at"
                    + " least twice the tick, got " + lease.toSeconds());
        }
        if (instance == null || instance.isBlank() || instance.length() > 200) {
            throw new IllegalArgumentException("instance_name (PGFLEET_INSTANCE_NAME) is 1 to 200 characters");
        }
    }

    /**
     * A tick of 1 s, a lease of 15 s and a generated name.
     *
     * @return the defaults
     */
    public static RolloutDriverSettings defaults() {
        return new RolloutDriverSettings(Duration.ofSeconds(1), Duration.ofSeconds(15), generatedName());
    }

    /**
     * A name unique to this process: host, process id and a random suffix.
     *
     * @return e.g. {@code db-admin-1.12345.3f9a}
     */
    public static String generatedName() {
        // The host's name from the environment, not a name lookup: a start must not wait on DNS.
        String host = System.getenv().getOrDefault("HOSTNAME", "pgfleet").replaceAll("[^A-Za-z0-9._-]", "");
        return (host.isEmpty() ? "pgfleet" : host) + "." + ProcessHandle.current().pid() + "." + Integer.toHexString(ThreadLocalRandom.current()
                .nextInt(0x1000, 0x10000));
    }

    /**
     * The same with another tick.
     *
     * @param other the tick
     * @return a copy
     */
    public RolloutDriverSettings withTick(Duration other) {
        return new RolloutDriverSettings(other, lease, instance);
    }

    /**
     * The same with another lease.
     *
     * @param other the lease
     * @return a copy
     */
    public RolloutDriverSettings withLease(Duration other) {
        return new RolloutDriverSettings(tick, other, instance);
    }

    /**
     * The same with another name.
     *
     * @param other the name
     * @return a copy
     */
    public RolloutDriverSettings withInstance(String other) {
        return new RolloutDriverSettings(tick, lease, other);
    }
}
