package io.pgfleet.bench;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Liveness latency ({@code GET /observe/health/live}) while failing logins flood the server: idle,
 * then F parallel clients sending wrong passwords for {@code admin} from one address, then F
 * parallel clients each attempt "from" a new address and user name (random X-Forwarded-For through
 * a trusted proxy: a distributed flood, where only the bounded hashing pool protects the server).
 */
public final class LoginFloodBenchmark {

    private static final int PORT = 19310;

    private LoginFloodBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar J [--flooders F] [--samples N]}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = BenchOptions.parse(new Options(), args);
        Path serverJar = o.serverJar;
        int flooders = o.flooders;
        int samples = o.samples;
        Path dir = Files.createTempDirectory("pgfleet-login-bench");
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            DatabaseSettings db = pg.settings(16);
            Map<String, String> env = BenchServer.env(db, PORT, dir.resolve("server"));
            env.put("PGFLEET_TRUSTED_PROXIES", "127.0.0.1");
            Process server = BenchServer.start(serverJar, List.of("-Xmx512m"), env, "pgfleet server");
            try {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                live(http, 100); // warm-up
                System.out.println("| flood | live p50 ms | p90 ms | p99 ms | max ms | login answers during the flood |");
                System.out.println("|---|---|---|---|---|---|");
                row("none", live(http, samples), Map.of());
                for (boolean distributed : new boolean[]{false, true}) {
                    Map<Integer, AtomicLong> answers = new ConcurrentHashMap<>();
                    AtomicBoolean stop = new AtomicBoolean();
                    List<Thread> threads = new ArrayList<>();
                    for (int f = 0; f < flooders; f++) {
                        threads.add(Thread.ofPlatform().daemon().start(() -> flood(http, distributed, stop, answers)));
                    }
                    Thread.sleep(2000); // the flood reaches its steady state
                    double[] ms = live(http, samples);
                    stop.set(true);
                    for (Thread t : threads) {
                        t.join(60_000);
                    }
                    row(flooders + (distributed ? " clients, each try a new address and user" : " clients, one address, user admin"),
                            ms, answers);
                    Thread.sleep(2000);
                }
                System.out.println("\n(" + Instant.now() + ", " + samples + " sequential liveness requests every 10 ms, "
                        + Runtime.getRuntime().availableProcessors() + " CPUs, Java " + Runtime.version() + ")");
            } finally {
                server.destroy();
                server.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The options, with their defaults. */
    private static final class Options {
        @Option(names = "--server-jar", required = true)
        Path serverJar;
        @Option(names = "--flooders")
        int flooders = 6;
        @Option(names = "--samples")
        int samples = 300;
    }

    private static void flood(HttpClient http, boolean distributed, AtomicBoolean stop, Map<Integer, AtomicLong> answers) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!stop.get()) {
            String user = distributed ? "user" + random.nextInt(1_000_000) : "admin";
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/api/v1/auth/login"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"" + user + "\",\"password\":\"wrong password\"}"));
            if (distributed) {
                r.header("X-Forwarded-For", "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256));
            }
            try {
                int status = http.send(r.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                answers.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
            } catch (Exception e) {
                answers.computeIfAbsent(-1, k -> new AtomicLong()).incrementAndGet();
            }
        }
    }

    /** Sequential liveness requests, one every 10 ms; latencies in ms, sorted. */
    private static double[] live(HttpClient http, int n) throws Exception {
        double[] ms = new double[n];
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/observe/health/live"))
                .timeout(Duration.ofSeconds(60)).GET().build();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            if (status != 200) {
                throw new IllegalStateException("liveness answered " + status);
            }
            Thread.sleep(10);
        }
        Arrays.sort(ms);
        return ms;
    }

    private static void row(String flood, double[] ms, Map<Integer, AtomicLong> answers) {
        StringBuilder a = new StringBuilder();
        answers.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> a.append(a.isEmpty() ? "" : ", ").append(e.getKey() == -1 ? "error" : e.getKey())
                        .append(": ").append(e.getValue().get()));
        System.out.printf("| %s | %.2f | %.2f | %.2f | %.2f | %s |%n", flood, pct(ms, 50), pct(ms, 90), pct(ms, 99),
                ms[ms.length - 1], a.isEmpty() ? "-" : a.toString());
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
