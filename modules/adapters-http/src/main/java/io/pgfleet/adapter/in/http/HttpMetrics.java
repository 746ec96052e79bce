package io.pgfleet.adapter.in.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What the API counts, on a Micrometer registry: requests by method, area and status class,
 * publishes, held watches and stored samples. The registry's Prometheus text is served at
 * {@code /observe/metrics}.
 */
public final class HttpMetrics {

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
            // Read before routing: services see the path relative to where they are registered.
            String path = req.path().path();
            String method = req.prologue().method().text();
            try {
                chain.proceed();
            } finally {
                String area = path.startsWith("/api/v1/") ? path.substring(8).split("/")[0] : path.startsWith("/observe") ? "observe" : "other";
                sample.stop(Timer.builder("pgfleet_http_requests")
                        .tag("method", method)
                        .tag("area", area)
                        .tag("status", (res.status().code() / 100) + "xx")
                        .register(registry));
            }
        };
    }
}
