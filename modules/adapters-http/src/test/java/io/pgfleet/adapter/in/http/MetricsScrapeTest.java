package io.pgfleet.adapter.in.http;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.application.port.in.FleetUseCases;
import io.pgfleet.application.port.in.UseCases;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.FleetCounts;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.Sample;
import org.junit.jupiter.api.Test;

import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A scrape of /observe/metrics over real HTTP asks for the fleet's counts, never for every collector. */
class MetricsScrapeTest {

    /** The fleet query: counts known values; reading the whole fleet fails the scrape's fleet read. */
    private static final class CountingFleet implements FleetQuery {
        private final AtomicInteger countReads = new AtomicInteger();

        @Override
        public List<FleetMember> fleet() {
            throw new AssertionError("a scrape must not read every collector of the fleet");
        }

        @Override
        public FleetCounts counts() {
            countReads.incrementAndGet();
            return new FleetCounts(3, 4, 2, 1, 5, 1, 1);
        }

        @Override
        public Optional<List<Sample>> samples(CollectorId collectorId, String name, Instant since, int limit) {
            throw new UnsupportedOperationException("not scraped");
        }
    }

    @Test
    void theFleetGaugesComeFromTheCountsAlone() throws Exception {
        UseCases unused = ApiRoutesTest.useCases();
        CountingFleet fleet = new CountingFleet();
        UseCases useCases = new UseCases(unused.config(), unused.collectors(), unused.access(),
                new FleetUseCases(unused.fleet().reportStatus(), unused.fleet().pushMetrics(), fleet),
                unused.operations(), unused.layers(), unused.rollouts());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HttpRouting.Builder routing = HttpRouting.builder();
        HttpApi.register(routing, useCases, new HttpMetrics(registry, () -> "scraped"), HttpLimits.defaults());
        WebServer server = WebServer.builder().port(0).host("127.0.0.1").routing(routing).build().start();
        try {
            // java.base's client: the module under test does not read java.net.http.
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + server.port() + "/observe/metrics")
                    .toURL().openConnection();
            assertEquals(200, c.getResponseCode());
            try (var in = c.getInputStream()) {
                assertEquals("scraped", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            c.disconnect();
        } finally {
            server.stop();
        }
        assertEquals(1, fleet.countReads.get());
        assertEquals(1, registry.get("pgfleet_fleet_query_up").gauge().value(), "the fleet's counts were read");
        assertEquals(3, gauge(registry, "pgfleet_collectors", "state", "in_sync"));
        assertEquals(4, gauge(registry, "pgfleet_collectors", "state", "out_of_sync"));
        assertEquals(2, gauge(registry, "pgfleet_collectors", "state", "stale"));
        assertEquals(1, gauge(registry, "pgfleet_collectors", "state", "revoked"));
        assertEquals(5, gauge(registry, "pgfleet_collectors_by_apply_status", "status", "APPLIED"));
        assertEquals(1, gauge(registry, "pgfleet_collectors_by_apply_status", "status", "FAILED"));
        assertEquals(1, gauge(registry, "pgfleet_collectors_by_apply_status", "status", "none"));
    }

    private static double gauge(SimpleMeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag(tag, value).gauge().value();
    }
}
