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
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * One fleet-layer publish reaching N collectors: the time from sending {@code PUT /api/v1/fleet/config}
 * until every collector's watch (one long poll per collector, like N agents) has answered with the
 * new effective document, and the time until the {@code PUT} itself answered. Collectors are
 * inserted with SQL (labels {@code env=prod}), each with an own document drawn from D distinct
 * ones, so the effective documents are D distinct merges. A warm-up publish first gives every
 * collector an effective document that the fleet layer contributes to.
 *
 * <pre>java -cp … io.pgfleet.bench.LayersBenchmark --server-jar J [--collectors 10000] [--distinct 100]
 *     [--publishes 3] [--watchers N] [--server-opts "-XX:StartFlightRecording=…"]</pre>
 */
public final class LayersBenchmark {

    private static final String PASSWORD = "bench-admin-password";

    private LayersBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args see the class description
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path jar = null;
        int collectors = 10_000;
        int distinct = 100;
        int publishes = 3;
        int watchers = -1;
        List<String> serverOpts = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--server-jar" -> jar = Path.of(args[++i]);
                case "--collectors" -> collectors = Integer.parseInt(args[++i]);
                case "--distinct" -> distinct = Integer.parseInt(args[++i]);
                case "--publishes" -> publishes = Integer.parseInt(args[++i]);
                case "--watchers" -> watchers = Integer.parseInt(args[++i]);
                case "--server-opts" -> serverOpts.addAll(Arrays.asList(args[++i].trim().split("\\s+")));
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        if (jar == null) {
            throw new IllegalArgumentException("--server-jar is required");
        }
        Path dir = Files.createTempDirectory("pgfleet-bench-layers");
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            run(jar, serverOpts, pg.settings(16), dir, collectors, Math.max(1, Math.min(distinct, collectors)), publishes,
                    watchers < 0 ? collectors : Math.min(watchers, collectors));
        }
    }

    private static void run(Path jar, List<String> serverOpts, DatabaseSettings db, Path dir, int collectors, int distinct,
                            int publishes, int watchers) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        command.addAll(serverOpts.stream().filter(s -> !s.isEmpty()).toList());
        command.addAll(List.of("-jar", jar.toString()));
        int port = 19200;
        Process server = Proc.start(command,
                Map.of("PGFLEET_DB_URL", db.url(), "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password(),
                        "PGFLEET_PORT", Integer.toString(port), "PGFLEET_HOST", "127.0.0.1",
                        "PGFLEET_ADMIN_PASSWORD", PASSWORD, "PGFLEET_DB_POOL_SIZE", "16",
                        "PGFLEET_DATA_DIR", dir.resolve("server").toString()),
                Pattern.compile("pgfleet server ready"), "server");
        ExecutorService loops = Executors.newVirtualThreadPerTaskExecutor();
        try {
            long t = System.nanoTime();
            seed(db, collectors, distinct);
            System.out.printf("seeded %d collectors (%d distinct own documents) in %.1f s%n", collectors, distinct,
                    (System.nanoTime() - t) / 1e9);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(30)).build();
            String token = login(http, port);
            // Warm-up: the fleet layer starts contributing to every collector (new revision 2 for all).
            long warm = System.nanoTime();
            putFleet(http, port, token, 1);
            System.out.printf("warm-up publish answered after %.0f ms%n", (System.nanoTime() - warm) / 1e6);

            Map<String, Integer> seen = new ConcurrentHashMap<>();
            Map<String, Long> answeredAt = new ConcurrentHashMap<>();
            AtomicInteger held = new AtomicInteger();
            running = true;
            for (int i = 0; i < watchers; i++) {
                String id = id(i);
                loops.submit(() -> watchLoop(http, port, token, id, seen, answeredAt, held));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (held.get() < watchers && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            // Let the last watches reach the server and park.
            Thread.sleep(3000);
            System.out.printf("%d watchers held%n", held.get());

            List<double[]> results = new ArrayList<>();
            for (int p = 0; p < publishes; p++) {
                int expected = 3 + p;
                long t0 = System.nanoTime();
                putFleet(http, port, token, 2 + p);
                long put = System.nanoTime();
                long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < wait && !allAt(seen, watchers, expected)) {
                    Thread.sleep(5);
                }
                int reached = (int) seen.values().stream().filter(v -> v >= expected).count();
                long last = answeredAt.values().stream().mapToLong(Long::longValue).max().orElse(t0);
                double woken = reached == watchers ? (last - t0) / 1e6 : Double.NaN;
                results.add(new double[] {(put - t0) / 1e6, woken, reached});
                System.out.printf("publish %d: PUT answered %.0f ms, %d of %d watches answered with revision %d, last after %.0f ms%n",
                        p + 1, (put - t0) / 1e6, reached, watchers, expected, woken);
                Thread.sleep(3000);
            }
            running = false;
            report(collectors, distinct, watchers, results, Proc.heapUsedMiB(server.pid()), Proc.rssMiB(server.pid()));
        } finally {
            running = false;
            loops.shutdownNow();
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static volatile boolean running;

    private static boolean allAt(Map<String, Integer> seen, int watchers, int revision) {
        if (seen.size() < watchers) {
            return false;
        }
        for (int v : seen.values()) {
            if (v < revision) {
                return false;
            }
        }
        return true;
    }

    private static String id(int i) {
        return String.format("bench-%05d", i);
    }

    /** Collectors, their own documents (version 1) and their effective documents as the schema migration seeds them. */
    private static void seed(DatabaseSettings db, int collectors, int distinct) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
            c.setAutoCommit(false);
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO collectors (id, name, labels, created_at, latest_version)
                    SELECT 'bench-' || lpad(g::text, 5, '0'), 'bench-' || g, '{"env":"prod"}'::jsonb, now(), 1
                    FROM generate_series(0, ? - 1) g""")) {
                s.setInt(1, collectors);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO config_revisions (collector_id, version, document, content_hash, created_at, created_by, source)
                    SELECT id, 1, d, encode(sha256(convert_to(d, 'UTF8')), 'hex'), now(), 'bench', 'put'
                    FROM (SELECT 'bench-' || lpad(g::text, 5, '0') AS id,
                                 E'[postgres]\\nport = ' || (5432 + g % ?) || E'\\n' AS d
                          FROM generate_series(0, ? - 1) g) x""")) {
                s.setInt(1, distinct);
                s.setInt(2, collectors);
                s.executeUpdate();
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("""
                        INSERT INTO effective_configs (collector_id, revision, document, content_hash, sources, created_at)
                        SELECT collector_id, version, document, content_hash, 'collector@' || version, created_at
                        FROM config_revisions WHERE collector_id LIKE 'bench-%'""");
            }
            c.commit();
        }
    }

    private static void putFleet(HttpClient http, int port, String token, int n) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/fleet/config"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/toml")
                .timeout(Duration.ofMinutes(5))
                .PUT(HttpRequest.BodyPublishers.ofString("[collector]\npush_interval = " + (10 + n) + "\n")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException("PUT /api/v1/fleet/config → " + r.statusCode() + " " + r.body());
        }
    }

    private static void watchLoop(HttpClient http, int port, String token, String id, Map<String, Integer> seen,
                                  Map<String, Long> answeredAt, AtomicInteger held) {
        int after = 2;
        boolean counted = false;
        while (running) {
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
                    if (v > after) {
                        // Served: the answer is the new effective document itself.
                        answeredAt.put(id, now);
                        seen.put(id, v);
                        after = v;
                    }
                } else if (r.statusCode() != 304) {
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    private static void report(int collectors, int distinct, int watchers, List<double[]> results, double heap, double rss) {
        List<Double> put = new ArrayList<>();
        List<Double> woken = new ArrayList<>();
        for (double[] r : results) {
            put.add(r[0]);
            woken.add(r[1]);
        }
        System.out.println();
        System.out.println("| collectors | distinct own documents | watchers | PUT answered ms (each) | all watches answered ms (each) | median all answered ms | heap used MiB | RSS MiB |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        System.out.printf("| %d | %d | %d | %s | %s | %.0f | %.0f | %.0f |%n", collectors, distinct, watchers, join(put), join(woken),
                median(woken), heap, rss);
        System.out.println("(" + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                + Runtime.version() + ")");
    }

    private static String join(List<Double> xs) {
        return String.join(", ", xs.stream().map(x -> String.format("%.0f", x)).toList());
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
    }

    private static String login(HttpClient http, int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"" + PASSWORD + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
    }
}
