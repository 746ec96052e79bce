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

    private WatchBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar PATH [--watchers N] [--instances K] [--publishes P] [--client jdk|nio]
     *             [--rounds R] [--reads S] [--read-connections C] [--server-opts "JVM options"]}:
     *             {@code jdk} holds each watch with {@code java.net.http} on a virtual thread (one selector
     *             thread for all connections), {@code nio} with {@link NioWatchers}; the publishes are made in
     *             R rounds and the percentiles reported per round and as the median of the rounds;
     *             {@code --reads S} drives S seconds of configuration reads (wrk, C connections per
     *             instance, a random collector each) on every instance at once while the watches are held
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = BenchOptions.parse(new Options(), args);
        Path dir = Files.createTempDirectory("pgfleet-bench");
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            run(o.jar, pg.settings(16), dir, o.watchers, o.instances, o.publishes, o.client, o);
        }
    }

    /** The options; the basic ones are passed on to {@code run} one by one. */
    private static final class Options {
        @Option(names = "--server-jar", required = true)
        Path jar;
        @Option(names = "--watchers")
        int watchers = 1000;
        @Option(names = "--instances")
        int instances = 2;
        @Option(names = "--publishes")
        int publishes = 200;
        @Option(names = "--client")
        String client = "jdk";
        @Option(names = "--rounds")
        int rounds = 1;
        @Option(names = "--reads")
        int readSeconds = 0;
        @Option(names = "--read-connections")
        int readConnections = 16;
        List<String> serverOpts = List.of();

        @Option(names = "--server-opts")
        void serverOpts(String jvmOptions) {
            serverOpts = BenchOptions.words(jvmOptions);
        }
    }

    private static void run(Path jar, DatabaseSettings db, Path dir, int watchers, int instances, int publishes,
                            String client, Options o) throws Exception {
        List<Process> servers = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        try {
            for (int i = 0; i < instances; i++) {
                int port = BenchServer.freePort();
                List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
                jvm.addAll(o.serverOpts.stream().map(x -> x.replace("{i}", "" + port)).toList());
                servers.add(BenchServer.start(jar, jvm, BenchServer.env(db, port, dir.resolve("s" + i)), "server " + i));
                ports.add(port);
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            String token = BenchHttp.login(http, ports.get(0));
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
            List<Double> liveBefore = new ArrayList<>();
            for (Process s : servers) {
                liveBefore.add(Proc.liveHeapMiB(s.pid()));
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
            List<Double> liveHeld = new ArrayList<>();
            for (Process s : servers) {
                liveHeld.add(Proc.liveHeapMiB(s.pid()));
            }
            System.out.printf("load average while holding: %s%n", ReadBenchmark.loadAverage());
            if (o.readSeconds > 0) {
                reads(servers, ports, token, watchers, o);
                System.out.printf("database connections after the reads: %d%n", connections(db));
            }
            List<List<Double>> rounds = new ArrayList<>();
            double cpuBefore = cpu(servers);
            long publishStart = System.nanoTime();
            int perRound = publishes / o.rounds;
            for (int r = 0; r < o.rounds; r++) {
                int from = latencies.size() + nioLatencies.size();
                String load = ReadBenchmark.loadAverage();
                for (int p = 0; p < perRound; p++) {
                    String id = "bench-" + ThreadLocalRandom.current().nextInt(watchers);
                    int next = versions.get(id) + 1;
                    versions.put(id, next);
                    publishedAt.put(id + ":" + next, System.nanoTime());
                    send(http, ports.get(0), token, "PUT", "/api/v1/config/" + id, "application/toml", doc(next));
                    Thread.sleep(20);
                }
                long roundWait = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (latencies.size() + nioLatencies.size() < from + perRound && System.nanoTime() < roundWait) {
                    Thread.sleep(50);
                }
                List<Double> all = new ArrayList<>();
                synchronized (latencies) {
                    all.addAll(latencies);
                }
                synchronized (nioLatencies) {
                    all.addAll(nioLatencies);
                }
                List<Double> mine = new ArrayList<>(all.subList(Math.min(from, all.size()), all.size()));
                Collections.sort(mine);
                rounds.add(mine);
                System.out.printf("round %d (load average %s): %d of %d answered, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                        r + 1, load, mine.size(), perRound, pct(mine, 50), pct(mine, 90), pct(mine, 99),
                        mine.isEmpty() ? 0 : mine.get(mine.size() - 1));
            }
            double publishSeconds = (System.nanoTime() - publishStart) / 1e9;
            double publishCpu = cpu(servers) - cpuBefore;
            publishes = perRound * o.rounds;
            if (o.rounds > 1) {
                System.out.printf("median of %d rounds: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n", o.rounds,
                        medianOf(rounds, 50), medianOf(rounds, 90), medianOf(rounds, 99), medianOf(rounds, 100));
            }
            System.out.printf("server CPU during the publishes (all instances): %.1f s for %d publishes in %.1f s "
                            + "= %.2f ms of CPU per publish, watchers' re-polls and everything else included%n",
                    publishCpu, publishes, publishSeconds, publishCpu * 1000 / publishes);
            for (int k = 0; k < servers.size(); k++) {
                System.out.printf("instance %d: live heap %.0f MiB before the watchers, %.0f MiB holding %d "
                                + "= %.1f KiB per held watch%n", k + 1, liveBefore.get(k), liveHeld.get(k),
                        (watchers + servers.size() - 1 - k) / servers.size(),
                        (liveHeld.get(k) - liveBefore.get(k)) * 1024 / ((watchers + servers.size() - 1 - k) / servers.size()));
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

    private static double cpu(List<Process> servers) throws java.io.IOException {
        double sum = 0;
        for (Process s : servers) {
            sum += Proc.cpuSeconds(s.pid());
        }
        return sum;
    }

    private static double medianOf(List<List<Double>> rounds, int p) {
        List<Double> v = new ArrayList<>();
        for (List<Double> r : rounds) {
            v.add(p == 100 ? (r.isEmpty() ? 0 : r.get(r.size() - 1)) : pct(r, p));
        }
        Collections.sort(v);
        return v.get(v.size() / 2);
    }

    /**
     * Configuration reads on every instance at once (one wrk per instance, a random collector per
     * request, the admin token) while the watches are held: reads/s and latency per instance, and the
     * servers' CPU per read.
     */
    private static void reads(List<Process> servers, List<Integer> ports, String token, int watchers, Options o)
            throws Exception {
        Path lua = Files.createTempFile("pgfleet-reads", ".lua");
        Files.writeString(lua, """
                local n = tonumber(os.getenv("BENCH_N") or "1000")
                local template = os.getenv("BENCH_PATH")
                local auth = os.getenv("BENCH_AUTH")
                request = function()
                  return wrk.format("GET", string.format(template, math.random(0, n - 1)), {["Authorization"] = auth})
                end
                """);
        String load = ReadBenchmark.loadAverage();
        double cpuBefore = cpu(servers);
        List<java.util.concurrent.Future<double[]>> runs = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(ports.size())) {
            for (int port : ports) {
                runs.add(pool.submit(() -> ReadBenchmark.wrk(lua, port, "/api/v1/config/bench-%d", "Bearer " + token,
                        o.readSeconds, o.readConnections, 1, watchers)));
            }
            double total = 0;
            for (int k = 0; k < runs.size(); k++) {
                double[] f = runs.get(k).get();
                total += f[0];
                System.out.printf("reads on instance %d: %.0f/s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms%n",
                        k + 1, f[0], f[1], f[2], f[3]);
            }
            double cpuUsed = cpu(servers) - cpuBefore;
            System.out.printf("reads on %d instance(s) together: %.0f/s for %d s (load average %s); server CPU %.1f s "
                            + "= %.0f µs per read (held watches' re-polls included)%n", ports.size(), total, o.readSeconds,
                    load, cpuUsed, cpuUsed * 1e6 / (total * o.readSeconds));
        } finally {
            Files.deleteIfExists(lua);
        }
    }

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
