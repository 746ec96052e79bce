package io.pgfleet.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgfleet.agent.core.AgentCore;
import io.pgfleet.agent.core.SelfMetrics;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.schema.CollectorKind;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The agent's own metrics on a Micrometer Prometheus registry, served at {@code GET /metrics} by the
 * JDK's HTTP server: one thread, at most {@value #MAX_CONNECTIONS} connections, 10 s to read a
 * request and to send an answer. Every name carries its unit or is a count, every meter has help
 * text; docs/agent.md lists them.
 */
public final class LocalMetrics implements SelfMetrics, AutoCloseable {

    /** Connections the endpoint accepts at once. */
    public static final int MAX_CONNECTIONS = 8;
    /** Collection duration buckets (s): a /proc read takes a millisecond, a query to a busy database seconds. */
    static final double[] COLLECTION_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<PullResult, Counter> pulls = new EnumMap<>(PullResult.class);
    private final Map<PushResult, Counter> pushes = new EnumMap<>(PushResult.class);
    private final Map<ApplyStatus, Counter> applies = new EnumMap<>(ApplyStatus.class);
    private final Map<CollectorKind, Timer> durations = new EnumMap<>(CollectorKind.class);
    private final Map<CollectorKind, Counter> errors = new EnumMap<>(CollectorKind.class);
    private final Counter pushedSamples;

    private LocalMetrics(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
        for (PullResult r : PullResult.values()) {
            pulls.put(r, Counter.builder("pgfleet_agent_pulls").tag("result", r.label())
                    .description("Configuration pulls (watches, polls) by result: new_version, unchanged, error "
                            + "(server unreachable or answering an error), refused (identity refused for good)")
                    .register(registry));
        }
        for (PushResult r : PushResult.values()) {
            pushes.put(r, Counter.builder("pgfleet_agent_pushes").tag("result", r.label())
                    .description("Sample batch pushes by result: ok, error (kept and retried), refused (dropped), "
                            + "split (too large, sent as two)")
                    .register(registry));
        }
        for (ApplyStatus s : ApplyStatus.values()) {
            applies.put(s, Counter.builder("pgfleet_agent_applies").tag("status", s.name())
                    .description("Configuration versions applied or failed on this host").register(registry));
        }
        java.time.Duration[] buckets = java.util.Arrays.stream(COLLECTION_BUCKETS)
                .mapToObj(b -> Duration.ofNanos(Math.round(b * 1_000_000_000L))).toArray(Duration[]::new);
        for (CollectorKind k : CollectorKind.values()) {
            durations.put(k, Timer.builder("pgfleet_agent_collection_duration").tag("collector", k.key())
                    .description("Time one run of a collector took, failed runs included")
                    .serviceLevelObjectives(buckets).register(registry));
            errors.put(k, Counter.builder("pgfleet_agent_collection_errors").tag("collector", k.key())
                    .description("Collector runs that failed (database unreachable, query refused, file unreadable)")
                    .register(registry));
        }
        pushedSamples = Counter.builder("pgfleet_agent_pushed_samples")
                .description("Samples the server stored from this agent's pushes").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
    }

    /**
     * Starts the endpoint.
     *
     * @param settings where it listens
     * @return the running endpoint
     * @throws IllegalStateException naming the address when it cannot listen (the port is taken)
     */
    public static LocalMetrics start(MetricsSettings settings) {
        // The JDK server reads its limits once, from system properties; an operator's own values win.
        System.setProperty("jdk.httpserver.maxConnections",
                System.getProperty("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS)));
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "10"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "10"));
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), MAX_CONNECTIONS);
        } catch (BindException e) {
            throw new IllegalStateException("cannot serve the agent's metrics on " + settings.host() + ":" + settings.port()
                    + " (" + e.getMessage() + "): another program uses that port, or the address is not this host's; "
                    + "set another [metrics] port (or host) in the agent's local file, or enabled = false");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the agent's metrics on " + settings.host() + ":" + settings.port(), e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "agent-metrics");
            t.setDaemon(true);
            return t;
        });
        LocalMetrics metrics = new LocalMetrics(server, executor);
        server.createContext("/", metrics::handle);
        server.setExecutor(executor);
        server.start();
        return metrics;
    }

    /**
     * Registers the levels the core holds (versions, buffer, drops).
     *
     * @param core the running core
     */
    public void bind(AgentCore core) {
        Gauge.builder("pgfleet_agent_applied_version", core, AgentCore::appliedVersion)
                .description("The configuration version running on this host (0 before the first)").register(registry);
        Gauge.builder("pgfleet_agent_failed_version", core, AgentCore::failedVersion)
                .description("The newest configuration version that failed on this host (0 when none)").register(registry);
        Gauge.builder("pgfleet_agent_buffer_samples", core, AgentCore::bufferedSamples)
                .description("Samples waiting in the buffer to be pushed").register(registry);
        Gauge.builder("pgfleet_agent_buffer_capacity_samples", core, AgentCore::bufferCapacity)
                .description("The most samples the buffer holds (buffer_samples); when full the oldest are dropped")
                .register(registry);
        FunctionCounter.builder("pgfleet_agent_dropped_samples", core, AgentCore::droppedBufferFull).tag("reason", "buffer_full")
                .description("Samples lost since the agent started: pushed out of the full buffer, or refused by the server")
                .register(registry);
        FunctionCounter.builder("pgfleet_agent_dropped_samples", core, AgentCore::droppedRefused).tag("reason", "refused")
                .description("Samples lost since the agent started: pushed out of the full buffer, or refused by the server")
                .register(registry);
        Gauge.builder("pgfleet_agent_locked_out", core, c -> c.lockedOut() ? 1 : 0)
                .description("1 while the server refuses this agent's identity (it sends nothing until re-enrolled)")
                .register(registry);
    }

    /**
     * The port it listens on (the one chosen when the settings said 0).
     *
     * @return the port
     */
    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * The exposition text.
     *
     * @return Prometheus text
     */
    public String scrape() {
        return registry.scrape();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().close();
            String method = exchange.getRequestMethod();
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void pulled(PullResult result) {
        pulls.get(result).increment();
    }

    @Override
    public void applied(ApplyStatus status) {
        applies.get(status).increment();
    }

    @Override
    public void collected(CollectorKind kind, Duration took, boolean ok) {
        durations.get(kind).record(took);
        if (!ok) {
            errors.get(kind).increment();
        }
    }

    @Override
    public void pushed(PushResult result, int samples) {
        pushes.get(result).increment();
        if (result == PushResult.OK) {
            pushedSamples.increment(samples);
        }
    }

    /** Stops serving. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
