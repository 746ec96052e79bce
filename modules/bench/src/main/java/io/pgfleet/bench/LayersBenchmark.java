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
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One fleet-layer publish reaching N collectors: the time from sending {@code PUT /api/v1/fleet/config}
 * until every collector's watch (one long poll per collector, like N agents) has answered with the
 * new effective document, and the time until the {@code PUT} itself answered. The watches are raw
 * HTTP/1.1 connections on one selector thread ({@link NioWatchers}), so the client costs little next
 * to the server. Collectors are
 * inserted with SQL (labels {@code env=prod}), each with an own document drawn from D distinct
 * ones, so the effective documents are D distinct merges. A warm-up publish first gives every
 * collector an effective document that the fleet layer contributes to.
 *
 * <pre>java -cp … io.pgfleet.bench.LayersBenchmark --server-jar J [--collectors 10000] [--distinct 100]
 *     [--publishes 3] [--watchers N] [--server-opts "-XX:StartFlightRecording=…"]</pre>
 */
public final class LayersBenchmark {

    /** The embedded PostgreSQL's postmaster: its processes' CPU is counted per publish. */
    private static long postmaster;

    private LayersBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args see the class description
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = BenchOptions.parse(new Options(), args);
        Path jar = o.jar;
        int collectors = o.collectors;
        int distinct = o.distinct;
        int publishes = o.publishes;
        int watchers = o.watchers;
        List<String> serverOpts = o.serverOpts;
        Path dir = Files.createTempDirectory("pgfleet-bench-layers");
        // pg_stat_statements preloaded for the per-publish breakdown (set once, then started again).
        try (EmbeddedDatabase first = EmbeddedDatabase.start(dir)) {
            DatabaseSettings one = first.settings(1);
            try (Connection c = DriverManager.getConnection(one.url(), one.user(), one.password());
                 Statement s = c.createStatement()) {
                s.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
            }
        }
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            DatabaseSettings one = pg.settings(1);
            try (Connection c = DriverManager.getConnection(one.url(), one.user(), one.password());
                 Statement s = c.createStatement()) {
                s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            }
            postmaster = Long.parseLong(Files.readAllLines(dir.resolve("postgres").resolve("postmaster.pid")).get(0).strip());
            run(jar, serverOpts, pg.settings(16), dir, collectors, Math.max(1, Math.min(distinct, collectors)), publishes,
                    watchers < 0 ? collectors : Math.min(watchers, collectors));
        }
    }

    /** The options, with their defaults; {@code --watchers} below 0 means one a collector. */
    private static final class Options {
        @Option(names = "--server-jar", required = true)
        Path jar;
        @Option(names = "--collectors")
        int collectors = 10_000;
        @Option(names = "--distinct")
        int distinct = 100;
        @Option(names = "--publishes")
        int publishes = 3;
        @Option(names = "--watchers")
        int watchers = -1;
        final List<String> serverOpts = new ArrayList<>();

        @Option(names = "--server-opts")
        void serverOpts(String jvmOptions) {
            serverOpts.addAll(BenchOptions.words(jvmOptions));
        }
    }

    private static void run(Path jar, List<String> serverOpts, DatabaseSettings db, Path dir, int collectors, int distinct,
                            int publishes, int watchers) throws Exception {
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        jvm.addAll(serverOpts);
        int port = 19200;
        Process server = BenchServer.start(jar, jvm, BenchServer.env(db, port, dir.resolve("server")), "server");
        try {
            long t = System.nanoTime();
            seed(db, collectors, distinct);
            System.out.printf("seeded %d collectors (%d distinct own documents) in %.1f s%n", collectors, distinct,
                    (System.nanoTime() - t) / 1e9);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(30)).build();
            String token = BenchHttp.login(http, port);
            // Warm-up: the fleet layer starts contributing to every collector (new revision 2 for all).
            long warm = System.nanoTime();
            putFleet(http, port, token, 1);
            System.out.printf("warm-up publish answered after %.0f ms%n", (System.nanoTime() - warm) / 1e6);

            List<double[]> results = new ArrayList<>();
            double[] memory = new double[2];
            // Raw HTTP/1.1 watchers on one selector thread (as the fan-out benchmark's): the client
            // costs little next to the server, so the figures are the server's, not the client's.
            try (NioWatchers nio = watchers == 0 ? null : new NioWatchers(port, watchers,
                    i -> "/api/v1/config/" + id(i) + "?wait=60&after=",
                    "Authorization: Bearer " + token + "\r\nAccept-Encoding: gzip\r\n")) {
                resetStatements(db);
                for (int p = 0; p < publishes; p++) {
                    int expected = 3 + p;
                    if (nio != null) {
                        double before = held(http, port);
                        nio.arm(i -> expected - 1);
                        awaitHeld(http, port, before + watchers);
                    }
                    Counters before = Counters.read(db, server.pid());
                    long t0 = System.nanoTime();
                    putFleet(http, port, token, 2 + p);
                    long put = System.nanoTime();
                    long[] arrived = nio == null ? new long[0] : nio.await(i -> expected, 120_000);
                    Counters after = Counters.read(db, server.pid());
                    System.out.printf("publish %d: server CPU %.2f s, PostgreSQL CPU %.2f s, WAL %.1f MiB,"
                                    + " %d statements%n", p + 1, after.serverCpu - before.serverCpu,
                            after.pgCpu - before.pgCpu, (after.walBytes - before.walBytes) / 1048576.0,
                            after.calls - before.calls);
                    topStatements(db);
                    long[] sorted = arrived.clone();
                    Arrays.sort(sorted);
                    double first = sorted.length == 0 ? Double.NaN : (sorted[0] - t0) / 1e6;
                    double p50 = sorted.length == 0 ? Double.NaN : (sorted[sorted.length / 2] - t0) / 1e6;
                    double last = sorted.length == watchers && watchers > 0 ? (sorted[sorted.length - 1] - t0) / 1e6
                            : Double.NaN;
                    results.add(new double[] {(put - t0) / 1e6, last, arrived.length, first, p50});
                    System.out.printf("publish %d: PUT answered %.0f ms; %d of %d watches answered with revision %d:"
                                    + " first %.0f ms, median %.0f ms, last %.0f ms%n",
                            p + 1, (put - t0) / 1e6, arrived.length, watchers, expected, first, p50, last);
                    if (nio != null && (nio.failed() > 0 || nio.refusals() > 0)) {
                        System.out.println(nio.failed() + " watchers failed, " + nio.refusals() + " answers refused"
                                + " (first: " + NioWatchers.firstFailure + ")");
                    }
                    Thread.sleep(3000);
                }
                // Sampled while the watchers are still connected.
                memory[0] = Proc.heapUsedMiB(server.pid());
                memory[1] = Proc.rssMiB(server.pid());
            }
            report(collectors, distinct, watchers, results, memory[0], memory[1]);
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** CPU seconds of the server and of every PostgreSQL process, WAL bytes and statements so far. */
    private record Counters(double serverCpu, double pgCpu, long walBytes, long calls) {
        static Counters read(DatabaseSettings db, long server) throws Exception {
            double pg = 0;
            try (var procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String stat = Files.readString(p.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        long pid = Long.parseLong(p.getFileName().toString());
                        if (pid == postmaster || Long.parseLong(f[1]) == postmaster) {
                            pg += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
                        }
                    } catch (Exception gone) {
                        // the process ended meanwhile
                    }
                }
            }
            try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
                 Statement s = c.createStatement();
                 java.sql.ResultSet w = s.executeQuery("SELECT (SELECT wal_bytes FROM pg_stat_wal)::bigint AS wal,"
                         + " (SELECT sum(calls) FROM pg_stat_statements)::bigint AS calls")) {
                w.next();
                return new Counters(Proc.cpuSeconds(server), pg, w.getLong(1), w.getLong(2));
            }
        }
    }

    private static void resetStatements(DatabaseSettings db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
             Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
        }
    }

    /** The statements that took PostgreSQL longest since the last call, then resets the counts. */
    private static void topStatements(DatabaseSettings db) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
             Statement s = c.createStatement()) {
            try (java.sql.ResultSet r = s.executeQuery("SELECT calls, round(total_exec_time::numeric, 1) AS ms, rows,"
                    + " wal_bytes, regexp_replace(left(query, 110), '\\s+', ' ', 'g') AS q FROM pg_stat_statements"
                    + " ORDER BY total_exec_time DESC LIMIT 8")) {
                while (r.next()) {
                    System.out.printf("    %6d calls %9s ms %7d rows %9d WAL bytes  %s%n", r.getLong(1), r.getString(2),
                            r.getLong(3), r.getLong(4), r.getString(5));
                }
            }
            s.execute("SELECT pg_stat_statements_reset()");
        }
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

    private static final Pattern HELD = Pattern.compile("(?m)^pgfleet_watches_held(?:\\{[^}]*})? ([0-9.eE+]+)");

    /** The watches the server holds now. */
    private static double held(HttpClient http, int port) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + BenchHttp.HELD_ONLY)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = HELD.matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Waits (at most 60 s) until the server holds n watches, so that a publish finds them all waiting. */
    private static void awaitHeld(HttpClient http, int port, double n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        double seen = 0;
        while (System.nanoTime() < deadline) {
            seen = held(http, port);
            if (seen >= n) {
                Thread.sleep(500);
                return;
            }
            Thread.sleep(100);
        }
        System.out.printf("(held %.0f of %.0f watches after 60 s; going on)%n", seen, n);
    }
}
