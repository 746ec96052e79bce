package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's own metrics, scraped from a real agent process at its local endpoint while its server
 * is down: pulls and pushes fail, a collector fails, the buffer fills and drops; every counter says
 * so, and Prometheus' promtool accepts the scrape.
 */
class AgentMetricsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A port nothing listens on: a server that is stopped. */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        return r.body();
    }

    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.E+-]+)$").matcher(text);
        assertTrue(m.find(), "no " + series + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    private static String awaitScrape(int port, Predicate<String> condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            String text = scrape(port);
            if (condition.test(text)) {
                return text;
            }
            assertTrue(System.nanoTime() < deadline, what + " never showed in\n" + text);
            Thread.sleep(200);
        }
    }

    private static void writeAgent(Path dir, int serverPort, String metrics) throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        Files.writeString(dir.resolve("agent.toml"), """
                server_url = "http://127.0.0.1:%d"
                name = "metrics-agent"
                state_dir = "state"
                buffer_samples = 100
                %s
                """.formatted(serverPort, metrics));
        // Registered before, with a configuration it kept: it collects and tries to push while the server is away.
        Files.writeString(state.resolve("identity.properties"), "collector_id=metrics-agent-1\nrefresh_token=r-1\n");
        Files.writeString(state.resolve("last-known-good.version"), "3");
        Files.writeString(state.resolve("last-known-good.toml"), """
                [collector]
                push_interval = 1

                [postgres]
                host = "127.0.0.1"
                port = %d
                user = "postgres"
                databases = ["postgres"]
                sslmode = "disable"

                [collectors.pg_stats]
                enabled = true
                interval = 1

                [collectors.pg_connections]
                enabled = false

                [collectors.sysstat]
                interval = 1

                [collectors.disk_usage]
                enabled = false
                """.formatted(closedPort()));
    }

    private static int metricsPort(AgentProcess agent) throws Exception {
        String out = agent.output();
        int line = agent.await("metrics at http://127\\.0\\.0\\.1:[0-9]+/metrics", Duration.ofSeconds(30));
        Matcher m = Pattern.compile("metrics at http://127\\.0\\.0\\.1:([0-9]+)/metrics").matcher(agent.output());
        assertTrue(m.find(), out + line);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void anAgentWhoseServerIsDownSaysSoInItsOwnMetrics(@TempDir Path dir) throws Exception {
        writeAgent(dir, closedPort(), "[metrics]\nenabled = true\nport = 0\n");
        try (AgentProcess agent = AgentProcess.start(dir, 0)) {
            int port = metricsPort(agent);
            String first = awaitScrape(port, t -> value(t, "pgfleet_agent_pulls_total{result=\"error\"}") >= 1
                    && value(t, "pgfleet_agent_buffer_samples") > 0, "a failed pull and buffered samples");
            double pullErrors = value(first, "pgfleet_agent_pulls_total{result=\"error\"}");
            double buffered = value(first, "pgfleet_agent_buffer_samples");
            assertEquals(3, value(first, "pgfleet_agent_applied_version"), "the last-known-good version runs");
            assertEquals(100, value(first, "pgfleet_agent_buffer_capacity_samples"));

            String later = awaitScrape(port, t -> value(t, "pgfleet_agent_pulls_total{result=\"error\"}") > pullErrors
                            && value(t, "pgfleet_agent_buffer_samples") > buffered
                            && value(t, "pgfleet_agent_pushes_total{result=\"error\"}") >= 1
                            && value(t, "pgfleet_agent_collection_errors_total{collector=\"pg_stats\"}") >= 1,
                    "more failed pulls, a growing buffer, a failed push and a failed collection");
            assertEquals(0, value(later, "pgfleet_agent_pulls_total{result=\"new_version\"}"));
            assertEquals(0, value(later, "pgfleet_agent_pushes_total{result=\"ok\"}"));
            assertTrue(value(later, "pgfleet_agent_collection_duration_seconds_count{collector=\"sysstat\"}") >= 1, later);
            assertEquals(0, value(later, "pgfleet_agent_collection_errors_total{collector=\"sysstat\"}"), later);

            // A buffer of 100 fills within seconds: the oldest samples go, and are counted.
            String full = awaitScrape(port, t -> value(t, "pgfleet_agent_dropped_samples_total{reason=\"buffer_full\"}") > 0,
                    "dropped samples");
            assertEquals(100, value(full, "pgfleet_agent_buffer_samples"));
            assertEquals(0, value(full, "pgfleet_agent_dropped_samples_total{reason=\"refused\"}"));

            Optional<Path> promtool = Promtool.find();
            if (promtool.isPresent()) {
                Promtool.Run check = Promtool.run(promtool.get(), Optional.of(full), "check", "metrics");
                assertEquals(0, check.exit(), check.output() + "\n" + full);
                assertEquals("", check.output().strip(), "promtool reports problems:\n" + check.output());
            }
            // Only GET /metrics is served.
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            HttpResponse<String> other = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, other.statusCode());
        }
    }

    @Test
    void aMetricsPortAlreadyInUseStopsTheAgentAtStartWithTheRemedy(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            writeAgent(dir, closedPort(), "[metrics]\nenabled = true\nport = " + taken.getLocalPort() + "\n");
            try (AgentProcess agent = AgentProcess.start(dir, 0)) {
                agent.await("cannot serve the agent's metrics on 127\\.0\\.0\\.1:" + taken.getLocalPort()
                        + " .*set another \\[metrics\\] port", Duration.ofSeconds(30));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (agent.alive()) {
                    assertTrue(System.nanoTime() < deadline, "the agent kept running:\n" + agent.output());
                    Thread.sleep(50);
                }
                assertFalse(agent.output().contains("starting"), "it stopped before registering or collecting:\n"
                        + agent.output());
            }
        }
    }
}
