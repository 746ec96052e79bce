package io.pgfleet.bench;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * N simulated agents (plain HTTP clients), each watching its own collector, spread over K server
 * instances on one embedded PostgreSQL; publishes go to instance 1 and reach the others through
 * LISTEN/NOTIFY. Reports the publish → watcher-answer latency distribution, each server's heap and
 * RSS, and the database connections in use.
 *
 * <pre>java -cp pgfleet-bench.jar… io.pgfleet.bench.WatchBenchmark --server-jar J --watchers 1000 --instances 2</pre>
 */
public final class WatchBenchmark {

    private static final String PASSWORD = "bench-admin-password";

    private WatchBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar PATH [--watchers N] [--instances K] [--publishes P] [--client jdk|nio]}:
     *             {@code jdk} holds each watch with {@code java.net.http} on a virtual thread (one selector
     *             thread for all connections), {@code nio} with {@link NioWatchers}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path jar = null;
        int watchers = 1000;
        int instances = 2;
        int publishes = 200;
        String client = "jdk";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--server-jar" -> jar = Path.of(args[++i]);
                case "--watchers" -> watchers = Integer.parseInt(args[++i]);
                case "--instances" -> instances = Integer.parseInt(args[++i]);
                case "--publishes" -> publishes = Integer.parseInt(args[++i]);
                case "--client" -> client = args[++i];
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        Path dir = Files.createTempDirectory("pgfleet-bench");
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            run(jar, pg.settings(16), dir, watchers, instances, publishes, client);
        }
    }

    private static void run(Path jar, DatabaseSettings db, Path dir, int watchers, int instances, int publishes,
                            String client) throws Exception {
        List<Process> servers = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        try {
            for (int i = 0; i < instances; i++) {
                int port = FanoutBenchmark.freePort();
                servers.add(Proc.start(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Xmx512m", "-jar", jar.toString()),
                        Map.of("PGFLEET_DB_URL", db.url(), "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password(),
                                "PGFLEET_PORT", Integer.toString(port), "PGFLEET_HOST", "127.0.0.1",
                                "PGFLEET_ADMIN_PASSWORD", PASSWORD, "PGFLEET_DB_POOL_SIZE", "16",
                                "PGFLEET_DATA_DIR", dir.resolve("s" + i).toString()),
                        Pattern.compile("pgfleet server ready"), "server " + i));
                ports.add(port);
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            String token = login(http, ports.get(0));
            System.out.printf("setting up %d collectors …%n", watchers);
            try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
                List<java.util.concurrent.Future<?>> f = new ArrayList<>();
                for (int i = 0; i < watchers; i++) {
                    String id = "bench-" + i;
                    f.add(pool.submit(() -> {
                        send(http, ports.get(0), token, "POST", "/api/v1/collectors", "application/json", "{\"id\":\"" + id + "\"}");
                        send(http, ports.get(0), token, "PUT", "/api/v1/config/" + id, "application/toml", doc(1));
                        return null;
                    }));
                }
                for (var x : f) {
                    x.get();
                }
            }
            Map<String, Integer> versions = new ConcurrentHashMap<>();
            Map<String, Long> publishedAt = new ConcurrentHashMap<>();
            List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger held = new AtomicInteger();
            for (int i = 0; i < watchers; i++) {
                versions.put("bench-" + i, 1);
            }
            CountDownLatch allHeld = new CountDownLatch(1);
            volatileRunning = true;
            ExecutorService loops = Executors.newVirtualThreadPerTaskExecutor();
            List<NioWatchers> nio = new ArrayList<>();
            List<Double> nioLatencies = Collections.synchronizedList(new ArrayList<>());
            // "mixed": even collectors are watched by the NIO client, odd ones by java.net.http, in the same run.
            boolean mixed = client.equals("mixed");
            if (mixed) {
                NioWatchers w = new NioWatchers(ports.get(0), (watchers + 1) / 2,
                        j -> "/api/v1/config/bench-" + (2 * j) + "?wait=60&after=", "Authorization: Bearer " + token + "\r\n");
                w.follow((j, v, at) -> {
                    Long t0 = publishedAt.remove("bench-" + (2 * j) + ":" + v);
                    if (t0 != null) {
                        nioLatencies.add((at - t0) / 1e6);
                    }
                });
                w.arm(j -> 1);
                nio.add(w);
                held.addAndGet((watchers + 1) / 2);
                for (int i = 1; i < watchers; i += 2) {
                    String id = "bench-" + i;
                    int port = ports.get(0);
                    loops.submit(() -> watchLoop(http, port, token, id, versions, publishedAt, latencies, held));
                }
            } else if (client.equals("nio")) {
                // One selector thread per instance, one connection per watcher: no client thread per watcher.
                for (int k = 0; k < ports.size(); k++) {
                    int instance = k;
                    int count = (watchers - k + ports.size() - 1) / ports.size();
                    NioWatchers w = new NioWatchers(ports.get(k), count,
                            j -> "/api/v1/config/bench-" + (j * ports.size() + instance) + "?wait=60&after=",
                            "Authorization: Bearer " + token + "\r\n");
                    w.follow((j, v, at) -> {
                        Long t0 = publishedAt.remove("bench-" + (j * ports.size() + instance) + ":" + v);
                        if (t0 != null) {
                            latencies.add((at - t0) / 1e6);
                        }
                    });
                    w.arm(j -> 1);
                    nio.add(w);
                    held.addAndGet(count);
                }
            } else {
                for (int i = 0; i < watchers; i++) {
                    String id = "bench-" + i;
                    int port = ports.get(i % ports.size());
                    loops.submit(() -> watchLoop(http, port, token, id, versions, publishedAt, latencies, held));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (held.get() < watchers && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            Thread.sleep(2000);
            System.out.printf("%d watchers held on %d instance(s)%n", held.get(), instances);
            int dbConnections = connections(db);
            List<double[]> memory = new ArrayList<>();
            for (Process s : servers) {
                memory.add(new double[] {Proc.heapUsedMiB(s.pid()), Proc.rssMiB(s.pid())});
            }
            for (int p = 0; p < publishes; p++) {
                String id = "bench-" + ThreadLocalRandom.current().nextInt(watchers);
                int next = versions.get(id) + 1;
                versions.put(id, next);
                publishedAt.put(id + ":" + next, System.nanoTime());
                send(http, ports.get(0), token, "PUT", "/api/v1/config/" + id, "application/toml", doc(next));
                Thread.sleep(20);
            }
            long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (latencies.size() + nioLatencies.size() < publishes && System.nanoTime() < wait) {
                Thread.sleep(100);
            }
            volatileRunning = false;
            if (mixed) {
                System.out.println("java.net.http watchers (odd collectors):");
                report(watchers, instances, latencies.size() + 0, latencies, dbConnections, memory);
                System.out.println("NIO watchers (even collectors):");
                report(watchers, instances, nioLatencies.size(), nioLatencies, dbConnections, memory);
                System.out.println("published " + publishes);
            } else {
                report(watchers, instances, publishes, latencies, dbConnections, memory);
            }
            System.out.println("client: " + client);
            loops.shutdownNow();
            for (NioWatchers w : nio) {
                w.close();
            }
        } finally {
            for (Process s : servers) {
                s.destroy();
                s.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static volatile boolean volatileRunning;

    private static void watchLoop(HttpClient http, int port, String token, String id, Map<String, Integer> versions,
                                  Map<String, Long> publishedAt, List<Double> latencies, AtomicInteger held) {
        int after = 1;
        boolean counted = false;
        while (volatileRunning) {
            try {
                if (!counted) {
                    held.incrementAndGet();
                    counted = true;
                }
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/api/v1/config/" + id + "?wait=60&after=" + after))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(120)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                long now = System.nanoTime();
                if (r.statusCode() == 200) {
                    int v = Integer.parseInt(r.headers().firstValue("X-Config-Version").orElse("0"));
                    Long t0 = publishedAt.remove(id + ":" + v);
                    if (t0 != null) {
                        latencies.add((now - t0) / 1e6);
                    }
                    after = v;
                }
            } catch (Exception e) {
                if (!volatileRunning) {
                    return;
                }
            }
        }
    }

    private static void report(int watchers, int instances, int publishes, List<Double> latencies, int dbConnections,
                               List<double[]> memory) {
        List<Double> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.println();
        System.out.printf("| watchers | instances | publishes answered | p50 ms | p90 ms | p99 ms | max ms | DB connections | heap used MiB | RSS MiB |%n");
        System.out.printf("|---|---|---|---|---|---|---|---|---|---|%n");
        StringBuilder heap = new StringBuilder();
        StringBuilder rss = new StringBuilder();
        for (double[] m : memory) {
            heap.append(heap.isEmpty() ? "" : " / ").append(String.format("%.0f", m[0]));
            rss.append(rss.isEmpty() ? "" : " / ").append(String.format("%.0f", m[1]));
        }
        System.out.printf("| %d | %d | %d of %d | %.1f | %.1f | %.1f | %.1f | %d | %s | %s |%n", watchers, instances,
                sorted.size(), publishes, pct(sorted, 50), pct(sorted, 90), pct(sorted, 99),
                sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1), dbConnections, heap, rss);
        System.out.println("(" + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                + Runtime.version() + ")");
    }

    private static double pct(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static int connections(DatabaseSettings db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                     + " AND pid <> pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String doc(int n) {
        return "[collector]\npush_interval = " + (n % 3600 + 1) + "\n";
    }

    private static String login(HttpClient http, int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"" + PASSWORD + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
    }

    private static void send(HttpClient http, int port, String token, String method, String path, String type, String body)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                sendOnce(http, port, token, method, path, type, body);
                return;
            } catch (IllegalStateException e) {
                // A set-up call refused with 503 on a saturated machine is asked again, as a client would.
                if (!e.getMessage().contains("→ 503") || attempt == 5) {
                    throw e;
                }
                Thread.sleep(500L * attempt);
            }
        }
    }

    private static void sendOnce(HttpClient http, int port, String token, String method, String path, String type,
                                 String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", type)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " → " + r.statusCode() + " " + r.body());
        }
    }
}
