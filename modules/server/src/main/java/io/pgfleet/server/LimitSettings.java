package io.pgfleet.server;

import io.pgfleet.adapter.in.http.HttpLimits;
import io.pgfleet.application.service.UseCaseFactory;
import io.pgfleet.domain.fleet.SampleRate;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Abuse limits of one server instance. Every default is in docs/security.md.
 *
 * <table>
 *   <caption>Limits</caption>
 *   <tr><th>file key</th><th>environment</th><th>default</th></tr>
 *   <tr><td>max_connections</td><td>PGFLEET_MAX_CONNECTIONS</td><td>12000 (10,000 watching agents and room to spare)</td></tr>
 *   <tr><td>idle_timeout</td><td>PGFLEET_IDLE_TIMEOUT</td><td>120 (seconds; above the longest watch hold, 66 s)</td></tr>
 *   <tr><td>watches_per_collector</td><td>PGFLEET_WATCHES_PER_COLLECTOR</td><td>4</td></tr>
 *   <tr><td>trusted_proxies</td><td>PGFLEET_TRUSTED_PROXIES</td><td>none (comma-separated addresses or CIDR ranges)</td></tr>
 *   <tr><td>hash_threads</td><td>PGFLEET_HASH_THREADS</td><td>half the processors, at least 1</td></tr>
 *   <tr><td>hash_queue</td><td>PGFLEET_HASH_QUEUE</td><td>16</td></tr>
 *   <tr><td>login_free_failures</td><td>PGFLEET_LOGIN_FREE_FAILURES</td><td>5</td></tr>
 *   <tr><td>login_failures_per_address</td><td>PGFLEET_LOGIN_FAILURES_PER_ADDRESS</td><td>30 (per minute)</td></tr>
 *   <tr><td>token_failures_per_address</td><td>PGFLEET_TOKEN_FAILURES_PER_ADDRESS</td><td>1000 (per minute)</td></tr>
 *   <tr><td>parse_slots</td><td>PGFLEET_PARSE_SLOTS</td><td>half the processors, at least 1</td></tr>
 *   <tr><td>parse_queue</td><td>PGFLEET_PARSE_QUEUE</td><td>256</td></tr>
 *   <tr><td>sample_rate_per_minute</td><td>PGFLEET_SAMPLE_RATE_PER_MINUTE</td><td>6000 (per collector)</td></tr>
 *   <tr><td>sample_burst</td><td>PGFLEET_SAMPLE_BURST</td><td>30000 (per collector; at least 5000)</td></tr>
 *   <tr><td>refreshes_per_session</td><td>PGFLEET_REFRESHES_PER_SESSION</td><td>30 (per minute, per session,
 *       on all instances together: counted in the database)</td></tr>
 *   <tr><td>sessions_per_user</td><td>PGFLEET_SESSIONS_PER_USER</td><td>100 (open sessions of one user, on all
 *       instances together; a login past it ends the user's oldest)</td></tr>
 * </table>
 *
 * @param maxConnections          open TCP connections the listener accepts at once
 * @param idleTimeout             a connection with no traffic this long is closed
 * @param watchesPerCollector     long-poll watches one collector principal may hold at once
 * @param trustedProxies          reverse proxies whose X-Forwarded-For is believed
 * @param hashThreads             threads hashing passwords at once
 * @param hashQueue               password checks waiting for a hashing thread; more are answered 429
 * @param loginFreeFailures       failed logins per (user, address) before growing delays start
 * @param loginFailuresPerAddress failed logins and refused registrations per address per minute
 * @param tokenFailuresPerAddress failed refreshes and logouts per address per minute (successful ones are not counted)
 * @param parseSlots              configuration documents parsed at once
 * @param parseQueue              documents waiting for a parsing slot; more are answered 429
 * @param sampleRate              samples one collector may push to this instance: a sustained rate and a burst
 * @param refreshesPerSession     refreshes one session (refresh-token family) may make per minute, on every
 *                                instance together
 * @param sessionsPerUser         sessions one user may hold open, on every instance together: a login
 *                                past it ends the user's oldest session
 */
public record LimitSettings(int maxConnections, Duration idleTimeout, int watchesPerCollector,
                            List<String> trustedProxies, int hashThreads, int hashQueue, int loginFreeFailures,
                            int loginFailuresPerAddress, int tokenFailuresPerAddress, int parseSlots, int parseQueue,
                            SampleRate sampleRate, int refreshesPerSession, int sessionsPerUser) {

    /** Validates ranges. */
    public LimitSettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        trustedProxies = List.copyOf(Objects.requireNonNull(trustedProxies, "trustedProxies"));
        check(maxConnections, 1, 1_000_000, "max_connections");
        check((int) Math.min(idleTimeout.toSeconds(), Integer.MAX_VALUE), 10, 3600, "idle_timeout (seconds)");
        check(watchesPerCollector, 1, 1000, "watches_per_collector");
        try {
            // Checked with the other settings, before the database starts: the HTTP API reads them
            // only once the server is up, and a typo would surface after the migrations as a crash.
            new HttpLimits(trustedProxies, watchesPerCollector);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("trusted_proxies (PGFLEET_TRUSTED_PROXIES): " + e.getMessage()
                    + "; expected comma-separated addresses or CIDR ranges, e.g. 10.0.0.5, 10.1.0.0/16", e);
        }
        check(hashThreads, 1, 64, "hash_threads");
        check(hashQueue, 1, 10_000, "hash_queue");
        check(loginFreeFailures, 1, 1000, "login_free_failures");
        check(loginFailuresPerAddress, 1, 100_000, "login_failures_per_address");
        check(tokenFailuresPerAddress, 1, 1_000_000, "token_failures_per_address");
        check(parseSlots, 1, 64, "parse_slots");
        check(parseQueue, 1, 10_000, "parse_queue");
        Objects.requireNonNull(sampleRate, "sampleRate");
        check(refreshesPerSession, 1, 10_000, "refreshes_per_session");
        check(sessionsPerUser, 1, 10_000, "sessions_per_user (PGFLEET_SESSIONS_PER_USER)");
    }

    /**
     * The limits with the default refreshes per session and sessions per user.
     *
     * @param maxConnections          open TCP connections the listener accepts at once
     * @param idleTimeout             a connection with no traffic this long is closed
     * @param watchesPerCollector     long-poll watches one collector principal may hold at once
     * @param trustedProxies          reverse proxies whose X-Forwarded-For is believed
     * @param hashThreads             threads hashing passwords at once
     * @param hashQueue               password checks waiting for a hashing thread
     * @param loginFreeFailures       failed logins per (user, address) before growing delays start
     * @param loginFailuresPerAddress failed logins and refused registrations per address per minute
     * @param tokenFailuresPerAddress failed refreshes and logouts per address per minute
     * @param parseSlots              configuration documents parsed at once
     * @param parseQueue              documents waiting for a parsing slot
     * @param sampleRate              samples one collector may push to this instance
     */
    public LimitSettings(int maxConnections, Duration idleTimeout, int watchesPerCollector,
                         List<String> trustedProxies, int hashThreads, int hashQueue, int loginFreeFailures,
                         int loginFailuresPerAddress, int tokenFailuresPerAddress, int parseSlots, int parseQueue,
                         SampleRate sampleRate) {
        this(maxConnections, idleTimeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue, loginFreeFailures,
                loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, sampleRate,
                UseCaseFactory.DEFAULT_REFRESHES_PER_SESSION, UseCaseFactory.DEFAULT_SESSIONS_PER_USER);
    }

    /**
     * The limits with the default sessions per user.
     *
     * @param maxConnections          open TCP connections the listener accepts at once
     * @param idleTimeout             a connection with no traffic this long is closed
     * @param watchesPerCollector     long-poll watches one collector principal may hold at once
     * @param trustedProxies          reverse proxies whose X-Forwarded-For is believed
     * @param hashThreads             threads hashing passwords at once
     * @param hashQueue               password checks waiting for a hashing thread
     * @param loginFreeFailures       failed logins per (user, address) before growing delays start
     * @param loginFailuresPerAddress failed logins and refused registrations per address per minute
     * @param tokenFailuresPerAddress failed refreshes and logouts per address per minute
     * @param parseSlots              configuration documents parsed at once
     * @param parseQueue              documents waiting for a parsing slot
     * @param sampleRate              samples one collector may push to this instance
     * @param refreshesPerSession     refreshes one session may make per minute
     */
    public LimitSettings(int maxConnections, Duration idleTimeout, int watchesPerCollector,
                         List<String> trustedProxies, int hashThreads, int hashQueue, int loginFreeFailures,
                         int loginFailuresPerAddress, int tokenFailuresPerAddress, int parseSlots, int parseQueue,
                         SampleRate sampleRate, int refreshesPerSession) {
        this(maxConnections, idleTimeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue, loginFreeFailures,
                loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, sampleRate,
                refreshesPerSession, UseCaseFactory.DEFAULT_SESSIONS_PER_USER);
    }

    private static void check(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", got " + value);
        }
    }

    /**
     * The defaults.
     *
     * @return the defaults
     */
    public static LimitSettings defaults() {
        return new LimitSettings(12_000, Duration.ofSeconds(120), 4, List.of(),
                Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 16, 5, 30, 1000,
                Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 256, SampleRate.defaults(),
                UseCaseFactory.DEFAULT_REFRESHES_PER_SESSION, UseCaseFactory.DEFAULT_SESSIONS_PER_USER);
    }

    /**
     * Parses a comma-separated list of proxies.
     *
     * @param text e.g. {@code 10.0.0.1, 10.1.0.0/16}
     * @return the entries
     */
    static List<String> proxies(String text) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * The same limits with other trusted proxies.
     *
     * @param proxies the proxies
     * @return a copy
     */
    public LimitSettings withTrustedProxies(List<String> proxies) {
        return new LimitSettings(maxConnections, idleTimeout, watchesPerCollector, proxies, hashThreads, hashQueue,
                loginFreeFailures, loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, sampleRate,
                refreshesPerSession, sessionsPerUser);
    }

    /**
     * The same limits with other bounds on configuration parsing.
     *
     * @param slots documents parsed at once
     * @param queue documents waiting for a slot
     * @return a copy
     */
    public LimitSettings withParsing(int slots, int queue) {
        return new LimitSettings(maxConnections, idleTimeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue,
                loginFreeFailures, loginFailuresPerAddress, tokenFailuresPerAddress, slots, queue, sampleRate,
                refreshesPerSession, sessionsPerUser);
    }

    /**
     * The same limits with another sample rate per collector.
     *
     * @param rate the rate
     * @return a copy
     */
    public LimitSettings withSampleRate(SampleRate rate) {
        return new LimitSettings(maxConnections, idleTimeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue,
                loginFreeFailures, loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, rate,
                refreshesPerSession, sessionsPerUser);
    }

    /**
     * The same limits with another connection maximum.
     *
     * @param max the maximum
     * @return a copy
     */
    public LimitSettings withMaxConnections(int max) {
        return new LimitSettings(max, idleTimeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue,
                loginFreeFailures, loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, sampleRate,
                refreshesPerSession, sessionsPerUser);
    }

    /**
     * The same limits with another idle timeout.
     *
     * @param timeout the timeout (10 s to an hour)
     * @return a copy
     */
    public LimitSettings withIdleTimeout(Duration timeout) {
        return new LimitSettings(maxConnections, timeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue,
                loginFreeFailures, loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, sampleRate,
                refreshesPerSession, sessionsPerUser);
    }

    /**
     * The same limits with another number of refreshes per session.
     *
     * @param perMinute refreshes one session may make per minute
     * @return a copy
     */
    public LimitSettings withRefreshesPerSession(int perMinute) {
        return new LimitSettings(maxConnections, idleTimeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue,
                loginFreeFailures, loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, sampleRate,
                perMinute, sessionsPerUser);
    }

    /**
     * The same limits with another number of open sessions per user.
     *
     * @param sessions sessions one user may hold open
     * @return a copy
     */
    public LimitSettings withSessionsPerUser(int sessions) {
        return new LimitSettings(maxConnections, idleTimeout, watchesPerCollector, trustedProxies, hashThreads, hashQueue,
                loginFreeFailures, loginFailuresPerAddress, tokenFailuresPerAddress, parseSlots, parseQueue, sampleRate,
                refreshesPerSession, sessions);
    }
}
