package io.pgfleet.agent.metrics;

import java.util.Objects;

/**
 * The {@code [metrics]} table of the agent's local file.
 *
 * @param enabled whether the endpoint runs (default false)
 * @param host    the address it listens on (default {@code 127.0.0.1}: this host only)
 * @param port    its port (default {@value #DEFAULT_PORT}; 0 = any free port, printed at start-up)
 */
public record MetricsSettings(boolean enabled, String host, int port) {

    /** The default port. */
    public static final int DEFAULT_PORT = 9464;
    /** The default address: loopback, so nothing off the host can read it unless the operator says so. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** Checks the values. */
    public MetricsSettings {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("metrics.host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("metrics.port must be 0..65535, got " + port);
        }
    }

    /**
     * The defaults: off.
     *
     * @return them
     */
    public static MetricsSettings off() {
        return new MetricsSettings(false, DEFAULT_HOST, DEFAULT_PORT);
    }
}
