package io.pgfleet.adapter.in.http;

import java.util.List;
import java.util.Objects;

/**
 * Limits and network trust the HTTP API enforces itself (connection counts and timeouts are the
 * listener's, set where the server starts).
 *
 * @param trustedProxies      addresses or CIDR ranges of reverse proxies whose {@code X-Forwarded-For}
 *                            is believed; from anyone else the header is ignored
 * @param watchesPerCollector long-poll watches one collector principal may hold at once (users are
 *                            bounded by the server's connection limit only)
 */
public record HttpLimits(List<String> trustedProxies, int watchesPerCollector) {

    /** The default number of watches a collector may hold at once. */
    public static final int DEFAULT_WATCHES_PER_COLLECTOR = 4;

    /** Validates the proxies (address literals or CIDR, never host names) and the watch limit. */
    public HttpLimits {
        trustedProxies = List.copyOf(Objects.requireNonNull(trustedProxies, "trustedProxies"));
        trustedProxies.forEach(TrustedProxies::parseRange);
        if (watchesPerCollector < 1 || watchesPerCollector > 1000) {
            throw new IllegalArgumentException("watches per collector must be 1..1000, got " + watchesPerCollector);
        }
    }

    /**
     * No trusted proxy, 4 watches per collector.
     *
     * @return the defaults
     */
    public static HttpLimits defaults() {
        return new HttpLimits(List.of(), DEFAULT_WATCHES_PER_COLLECTOR);
    }
}
