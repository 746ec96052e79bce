package io.pgfleet.adapter.in.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What the API counts, on a Micrometer registry: requests by method, matched route template (and its
 * area) and status class,
 * publishes, held watches and stored samples. The registry's Prometheus text is served at
 * {@code /observe/metrics}.
 */
public final class HttpMetrics {

    /** The methods that get a tag of their own; any other is counted as {@code other}. */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    static final String OTHER = "other";

    private final MeterRegistry registry;
    private final Supplier<String> scrape;
    private final AtomicInteger watching = new AtomicInteger();
    private final Counter publishes;
    private final Counter samples;

    /**
     * Metrics on a registry.
     *
     * @param registry where meters live
     * @param scrape   the registry's exposition text
     */
    public HttpMetrics(MeterRegistry registry, Supplier<String> scrape) {
        this.registry = registry;
        this.scrape = scrape;
        registry.gauge("pgfleet_watches_held", watching);
        this.publishes = Counter.builder("pgfleet_publishes").description("configuration versions published").register(registry);
        this.samples = Counter.builder("pgfleet_samples_stored").description("samples stored from agents").register(registry);
    }

    /** How long one reading of the fleet serves every fleet gauge (a scrape costs at most one query). */
    static final long FLEET_SNAPSHOT_NANOS = 5_000_000_000L;

    private volatile long fleetReadAt = Long.MIN_VALUE;
    private volatile java.util.Map<String, Long> fleetCounts = java.util.Map.of();

    /**
     * Fleet gauges, read from the fleet view when scraped: collectors in sync, out of sync and stale,
     * and by the outcome of their last apply ({@code APPLIED}, {@code FAILED}, {@code none}).
     *
     * @param fleet the fleet view
     */
    void watchFleet(io.pgfleet.application.port.in.FleetQuery fleet) {
        for (String state : java.util.List.of("in_sync", "out_of_sync", "stale")) {
            io.micrometer.core.instrument.Gauge.builder("pgfleet_fleet_collectors", () -> fleetCount(fleet, state))
                    .description("collectors by synchronisation state").tag("state", state).register(registry);
        }
        for (String status : java.util.List.of("APPLIED", "FAILED", "none")) {
            io.micrometer.core.instrument.Gauge.builder("pgfleet_fleet_apply_status", () -> fleetCount(fleet, status))
                    .description("collectors by the outcome of their last apply").tag("status", status).register(registry);
        }
    }

    private double fleetCount(io.pgfleet.application.port.in.FleetQuery fleet, String key) {
        long now = System.nanoTime();
        if (fleetReadAt == Long.MIN_VALUE || now - fleetReadAt > FLEET_SNAPSHOT_NANOS) {
            try {
                java.util.Map<String, Long> counts = new java.util.HashMap<>();
                for (io.pgfleet.domain.fleet.FleetMember m : fleet.fleet()) {
                    counts.merge(m.inSync() ? "in_sync" : "out_of_sync", 1L, Long::sum);
                    if (m.stale()) {
                        counts.merge("stale", 1L, Long::sum);
                    }
                    counts.merge(m.lastStatus().map(Enum::name).orElse("none"), 1L, Long::sum);
                }
                fleetCounts = counts;
            } catch (RuntimeException e) {
                // The database is unreachable: the gauges keep their last values (health reports the outage).
            }
            fleetReadAt = now;
        }
        return fleetCounts.getOrDefault(key, 0L);
    }

    void applyReported(String status) {
        Counter.builder("pgfleet_apply_reports").description("apply reports received from agents")
                .tag("status", status).register(registry).increment();
    }

    String scrape() {
        return scrape.get();
    }

    void published() {
        publishes.increment();
    }

    void samplesStored(int count) {
        samples.increment(count);
    }

    void watchStarted() {
        watching.incrementAndGet();
    }

    void watchEnded() {
        watching.decrementAndGet();
    }

    Filter requestTimer() {
        return (FilterChain chain, RoutingRequest req, RoutingResponse res) -> {
            Timer.Sample sample = Timer.start(registry);
            String method = req.prologue().method().text();
            try {
                chain.proceed();
            } finally {
                // Tags come only from the matched route's template and a fixed set of methods, so
                // however many distinct paths and methods clients invent, the series stay bounded.
                Optional<ApiRoutes.DeclaredRoute> route = req.context().get(ApiRoutes.DeclaredRoute.class);
                sample.stop(Timer.builder("pgfleet_http_requests")
                        .tag("method", route.isPresent() && METHODS.contains(method) ? method : OTHER)
                        .tag("area", route.map(ApiRoutes.DeclaredRoute::area).orElse(OTHER))
                        .tag("route", route.map(ApiRoutes.DeclaredRoute::template).orElse(OTHER))
                        .tag("status", statusClass(res.status().code()))
                        .register(registry));
            }
        };
    }

    private static String statusClass(int code) {
        return code >= 100 && code < 600 ? (code / 100) + "xx" : OTHER;
    }
}
