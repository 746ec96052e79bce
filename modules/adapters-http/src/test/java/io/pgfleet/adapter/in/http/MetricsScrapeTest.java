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
import org.junit.jupiter.api.Test;

import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
        public MemberLookup member(CollectorId collectorId) {
            throw new AssertionError("a scrape reads no collector");
        }

        @Override
        public FleetCounts counts() {
            countReads.incrementAndGet();
            return new FleetCounts(3, 4, 2, 1, 1, 5, 2, 1, 1);
        }

        @Override
        public Optional<io.pgfleet.domain.fleet.SamplePage> samples(CollectorId collectorId, String name, Instant since,
                                                                    Optional<io.pgfleet.domain.fleet.SamplePosition> after,
                                                                    int limit) {
            throw new UnsupportedOperationException("not scraped");
        }
    }

    @Test
    void theFleetGaugesComeFromTheCountsAlone() throws Exception {
        CountingFleet fleet = new CountingFleet();
        UseCases useCases = useCasesWith(fleet);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        HttpRouting.Builder routing = HttpRouting.builder();
        HttpApi.register(routing, useCases, new HttpMetrics(registry, names -> "scraped"), HttpLimits.defaults());
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
        assertEquals(1, gauge(registry, "pgfleet_collectors", "state", "never_seen"));
        assertEquals(1, gauge(registry, "pgfleet_collectors", "state", "revoked"));
        assertEquals(5, gauge(registry, "pgfleet_collectors_by_apply_status", "status", "APPLIED"));
        assertEquals(2, gauge(registry, "pgfleet_collectors_by_apply_status", "status", "FAILED"));
        assertEquals(1, gauge(registry, "pgfleet_collectors_by_apply_status", "status", "none"));
    }

    @Test
    void aScrapeOfNamedMetricsPassesTheNamesOnAndReadsTheFleetOnlyWhenAFleetGaugeIsAsked() throws Exception {
        CountingFleet fleet = new CountingFleet();
        UseCases useCases = useCasesWith(fleet);
        List<Set<String>> asked = new CopyOnWriteArrayList<>();
        HttpRouting.Builder routing = HttpRouting.builder();
        HttpApi.register(routing, useCases, new HttpMetrics(new SimpleMeterRegistry(), names -> {
            asked.add(names);
            return "scraped " + names;
        }), HttpLimits.defaults());
        WebServer server = WebServer.builder().port(0).host("127.0.0.1").routing(routing).build().start();
        try {
            String base = "http://127.0.0.1:" + server.port() + "/observe/metrics";
            assertEquals("200 scraped [pgfleet_watches_held]", get(base + "?name%5B%5D=pgfleet_watches_held"));
            assertEquals(0, fleet.countReads.get(), "a scrape of the watch gauge alone does not count the fleet");
            assertEquals("200 scraped [pgfleet_watches_held, pgfleet_collectors]",
                    get(base + "?name%5B%5D=pgfleet_watches_held&name%5B%5D=pgfleet_collectors"));
            assertEquals(1, fleet.countReads.get(), "a fleet gauge asked for is counted");

            assertEquals(400, status(base + "?name%5B%5D=not%20a%20name"));
            assertEquals(400, status(base + "?name%5B%5D=" + "x".repeat(201)));
            assertEquals(400, status(base + "?" + "name%5B%5D=a&".repeat(HttpMetrics.MAX_SCRAPE_NAMES + 1)));
            assertEquals(2, asked.size(), "a refused scrape formats nothing");
        } finally {
            server.stop();
        }
    }

    /** Every use case a route needs, the fleet query being the counting one. */
    private static UseCases useCasesWith(FleetQuery fleet) {
        UseCases unused = ApiRoutesTest.useCases();
        return new UseCases(unused.config(), unused.collectors(), unused.access(),
                new FleetUseCases(unused.fleet().reportStatus(), unused.fleet().pushMetrics(), fleet),
                unused.operations(), unused.layers(), unused.rollouts());
    }

    private static String get(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        try (var in = c.getInputStream()) {
            return c.getResponseCode() + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    private static int status(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }

    private static double gauge(SimpleMeterRegistry registry, String name, String tag, String value) {
        return registry.get(name).tag(tag, value).gauge().value();
    }
}
