package io.pgfleet.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.toml.TomlDocumentParser;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

/**
 * The publish path with the product's durable defaults (fsync and synchronous_commit on):
 * <ul>
 *   <li><b>hot</b>: C connections publishing to one collector as fast as they are answered;</li>
 *   <li><b>spread</b>: C connections publishing to random ones of N collectors;</li>
 *   <li><b>publish → one watcher</b>: one publish at a time to a collector one long-poll watch
 *       holds, from sending the {@code PUT} to the watch's answer — side by side with etcd's
 *       put → watch event (jetcd, one watcher) in the same run, round after round;</li>
 *   <li><b>where the time goes</b>: validation and hashing of the document (timed in this JVM with
 *       the server's own classes), the statements one publish sends and their time inside
 *       PostgreSQL ({@code pg_stat_statements}, loaded for the run), the commit (WAL flush), a
 *       loopback round trip, the announcement on another instance's {@code LISTEN} connection, and
 *       the watcher's wake-up.</li>
 * </ul>
 * Every publish is a new document (validated, merged, stored, audited, announced), never an
 * unchanged one.
 *
 * <pre>./pgfleet bench publish [--connections 16] [--collectors 100] [--seconds 10] [--latency-publishes 200]</pre>
 */
public final class PublishBenchmark {

    private PublishBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar PATH [--connections C] [--collectors N] [--seconds S] [--warmup W]
     *             [--latency-publishes P] [--doc-bytes B] [--etcd PATH|none] [--heap 512m] [--server-env K=V]…}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = BenchOptions.parse(new Options(), args);
        Path jar = o.jar;
        int connections = o.connections;
        int collectors = o.collectors;
        int seconds = o.seconds;
        int warmup = o.warmup;
        int latencyPublishes = o.latencyPublishes;
        int docBytes = o.docBytes;
        String etcdPath = o.etcdPath;
        String heap = o.heap;
        Map<String, String> serverEnv = o.serverEnv;
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + heap));
        jvm.addAll(o.serverOpts);
        String doc = FanoutBenchmark.document(docBytes);
        Path dir = Files.createTempDirectory("pgfleet-publish");
        // The product's embedded PostgreSQL (its durable settings), with pg_stat_statements preloaded
        // for the breakdown: set once, then started again, as an operator would.
        try (EmbeddedDatabase first = EmbeddedDatabase.start(dir.resolve("pg"))) {
            try (Connection c = connect(first.settings(1)); Statement s = c.createStatement()) {
                s.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
                // Counts and times the WAL's fsyncs (pg_stat_wal) for the breakdown.
                s.execute("ALTER SYSTEM SET track_wal_io_timing = on");
            }
        }
        List<String> report = new ArrayList<>();
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir.resolve("pg"));
             Connection stats = connect(pg.settings(1))) {
            try (Statement s = stats.createStatement()) {
                s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                // Planning time per statement too (a statement planned on every call shows it there);
                // known only once the library is loaded.
                s.execute("ALTER SYSTEM SET pg_stat_statements.track_planning = on");
                s.execute("SELECT pg_reload_conf()");
                report.add(settingsLine(s));
            }
            DatabaseSettings db = pg.settings(16);
            int port = BenchServer.freePort();
            Map<String, String> env = BenchServer.env(db, port, dir.resolve("server"));
            env.put("PGFLEET_DB_POOL_SIZE", Integer.toString(Math.max(16, connections)));
            env.putAll(serverEnv);
            // Read before the server starts, so that a failure here leaves no server behind.
            long postmaster = Long.parseLong(
                    Files.readAllLines(dir.resolve("pg").resolve("postgres").resolve("postmaster.pid")).get(0).strip());
            Process server = BenchServer.start(jar, jvm, env, "server");
            Process etcd = null;
            Client etcdClient = null;
            try {
                Http http = new Http(port);
                http.send("POST", "/api/v1/collectors", "application/json", "{\"id\":\"hot\"}");
                http.send("POST", "/api/v1/collectors", "application/json", "{\"id\":\"watched\"}");
                for (int i = 0; i < collectors; i++) {
                    http.send("POST", "/api/v1/collectors", "application/json", "{\"id\":\"spread-" + i + "\"}");
                }
                AtomicLong serial = new AtomicLong();
                for (String id : List.of("hot", "watched")) {
                    http.send("PUT", "/api/v1/config/" + id, "application/toml", doc);
                }
                for (int i = 0; i < collectors; i++) {
                    http.send("PUT", "/api/v1/config/spread-" + i, "application/toml", doc);
                }
                List<String> spread = new ArrayList<>();
                for (int i = 0; i < collectors; i++) {
                    spread.add("spread-" + i);
                }
                report.add("");
                report.add("| scenario | connections | collectors | publishes/s | answered | refused | PUT p50 ms | PUT p99 ms"
                        + " | statements per publish | WAL fsyncs per publish | fsync ms (mean) | WAL bytes per publish"
                        + " | server CPU ms per publish | PostgreSQL CPU ms per publish | benchmark client CPU ms per publish |");
                report.add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
                for (String scenario : List.of("hot", "spread")) {
                    List<String> targets = scenario.equals("hot") ? List.of("hot") : spread;
                    load(http, targets, doc, serial, connections, warmup, o.client);
                    resetStatements(stats);
                    double cpu0 = Proc.cpuSeconds(server.pid());
                    double pg0 = postgresCpuSeconds(postmaster);
                    double client0 = Proc.cpuSeconds(ProcessHandle.current().pid());
                    double[] r = load(http, targets, doc, serial, connections, seconds, o.client);
                    double cpu = Proc.cpuSeconds(server.pid()) - cpu0;
                    double pgCpu = postgresCpuSeconds(postmaster) - pg0;
                    double clientCpu = Proc.cpuSeconds(ProcessHandle.current().pid()) - client0;
                    Map<String, double[]> st = statements(stats);
                    double published = r[0];
                    perStatement(stats, scenario, published);
                    double calls = st.values().stream().mapToDouble(x -> x[0]).sum();
                    double[] commit = wal(stats);
                    report.add(String.format("| %s | %d | %d | **%.0f** | %.0f | %.0f | %.1f | %.1f | %.1f | %.2f | %.2f"
                                    + " | %.0f | %.2f | %.2f | %.2f |",
                            scenario, connections, targets.size(), published / seconds, published, r[1], r[2], r[3],
                            calls / published, commit[0] / published, commit[0] == 0 ? 0 : commit[1] / commit[0],
                            commit[2] / published, cpu * 1000 / published, pgCpu * 1000 / published,
                            clientCpu * 1000 / published));
                    System.out.println(report.getLast());
                }

                // Publish → one watcher, one publish at a time, with etcd's put → watch in the same rounds.
                if (!etcdPath.equals("none") && Files.isExecutable(Path.of(etcdPath))) {
                    BenchServer.Etcd started = BenchServer.etcd(etcdPath, dir.resolve("etcd"));
                    etcd = started.process();
                    etcdClient = Client.builder().endpoints(started.endpoint()).build();
                }
                Latency lat = latency(http, etcdClient, stats, doc, latencyPublishes, pg.settings(1));
                report.add("");
                report.add("| path (one at a time, " + latencyPublishes + " changes) | p50 ms | p90 ms | p99 ms | max ms |");
                report.add("|---|---|---|---|---|");
                report.add(row("pgfleet: PUT answered", lat.put));
                report.add(row("pgfleet: PUT → the watch on the same instance answered", lat.watch));
                report.add(row("pgfleet: PUT → NOTIFY received on another connection (another instance's path)",
                        lat.notified));
                if (lat.etcd.length > 0) {
                    report.add(row("etcd: put answered", lat.etcdPut));
                    report.add(row("etcd: put → watch event", lat.etcd));
                }
                report.add("");
                report.add("Where one publish's time goes (one at a time; medians; PostgreSQL's own times from"
                        + " pg_stat_statements):");
                report.add("");
                report.add("| part | per publish | how measured |");
                report.add("|---|---|---|");
                report.addAll(breakdown(doc, lat, pg.settings(1)));
                System.out.printf("%nserver after the run: heap used %.0f MiB, RSS %.0f MiB, CPU %.1f s%n",
                        Proc.heapUsedMiB(server.pid()), Proc.rssMiB(server.pid()), Proc.cpuSeconds(server.pid()));
            } finally {
                if (etcdClient != null) {
                    etcdClient.close();
                }
                if (etcd != null) {
                    etcd.destroy();
                    etcd.waitFor(30, TimeUnit.SECONDS);
                }
                server.destroy();
                server.waitFor(30, TimeUnit.SECONDS);
            }
        }
        System.out.println();
        report.forEach(System.out::println);
        System.out.println("(" + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                + Runtime.version() + ", document " + doc.length() + " bytes, " + seconds + " s per scenario after "
                + warmup + " s warm-up; load client " + o.client + "; server env " + serverEnv + ")");
    }

    /** The options, with their defaults. */
    private static final class Options {
        @Option(names = "--server-jar", required = true)
        Path jar;
        @Option(names = "--connections")
        int connections = 16;
        @Option(names = "--collectors")
        int collectors = 100;
        @Option(names = "--seconds")
        int seconds = 10;
        @Option(names = "--warmup")
        int warmup = 3;
        @Option(names = "--latency-publishes")
        int latencyPublishes = 200;
        @Option(names = "--doc-bytes")
        int docBytes = 3000;
        @Option(names = "--etcd")
        String etcdPath = "/usr/bin/etcd";
        /**
         * The load's HTTP client: {@code raw} (default), one keep-alive HTTP/1.1 socket per connection
         * ({@link RawHttpConnection}); {@code jdk}, the JDK's {@code HttpClient} (the earlier runs'),
         * which costs more CPU per publish than the server on 2 cores. The server does the same work.
         */
        @Option(names = "--client")
        String client = "raw";
        @Option(names = "--heap")
        String heap = "512m";
        @Option(names = "--server-env")
        Map<String, String> serverEnv = new LinkedHashMap<>();
        final List<String> serverOpts = new ArrayList<>();

        /** More JVM options for the server, e.g. {@code "-XX:StartFlightRecording=filename=/tmp/p.jfr,settings=profile"}. */
        @Option(names = "--server-opts")
        void serverOpts(String jvmOptions) {
            serverOpts.addAll(BenchOptions.words(jvmOptions));
        }
    }

    /** CPU seconds of the embedded PostgreSQL: its postmaster and every process it started (backends, WAL writer…). */
    private static double postgresCpuSeconds(long postmaster) throws Exception {
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
        return pg;
    }

    private static String settingsLine(Statement s) throws Exception {
        StringBuilder out = new StringBuilder("PostgreSQL:");
        for (String name : List.of("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
                "commit_delay", "commit_siblings")) {
            try (ResultSet r = s.executeQuery("SHOW " + name)) {
                r.next();
                out.append(' ').append(name).append('=').append(r.getString(1));
            }
        }
        System.out.println(out);
        return out.toString();
    }

    /** {publishes answered 200, refused (any other status or error), p50 ms, p99 ms}. */
    private static double[] load(Http http, List<String> targets, String doc, AtomicLong serial, int connections,
                                 int seconds, String clientKind) throws Exception {
        LongAdder ok = new LongAdder();
        LongAdder refused = new LongAdder();
        List<long[]> times = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < connections; t++) {
            long[] mine = new long[200_000];
            times.add(mine);
            threads.add(Thread.ofPlatform().start(() -> {
                boolean raw = clientKind.equals("raw");
                HttpClient client = raw ? null : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                RawHttpConnection connection = raw ? new RawHttpConnection(http.port, http.authorization()) : null;
                int n = 0;
                while (System.nanoTime() < end) {
                    String id = targets.get(ThreadLocalRandom.current().nextInt(targets.size()));
                    long t0 = System.nanoTime();
                    try {
                        String body = doc + "# " + serial.incrementAndGet() + "\n";
                        int status = raw ? connection.send("PUT", "/api/v1/config/" + id, "application/toml", body)
                                : http.put(client, id, body).statusCode();
                        if (status == 200 || status == 201) {
                            ok.increment();
                            if (n < mine.length) {
                                mine[n++] = System.nanoTime() - t0;
                            }
                        } else {
                            refused.increment();
                        }
                    } catch (Exception e) {
                        refused.increment();
                    }
                }
                if (raw) {
                    connection.close();
                } else {
                    client.close();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double[] ms = times.stream().flatMapToLong(java.util.Arrays::stream).filter(x -> x > 0)
                .mapToDouble(x -> x / 1e6).sorted().toArray();
        return new double[] {ok.sum(), refused.sum(), pct(ms, 50), pct(ms, 99)};
    }

    /** Sorted latencies in ms of each path, and PostgreSQL's statements per publish. */
    private record Latency(double[] put, double[] watch, double[] notified, double[] etcdPut, double[] etcd,
                           Map<String, double[]> statements, double[] wal, int publishes) {
    }

    private static Latency latency(Http http, Client etcdClient, Connection stats, String doc, int n,
                                   DatabaseSettings listenAs) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int warm = Math.max(10, n / 10);
        double[] put = new double[n];
        double[] watch = new double[n];
        double[] notified = new double[n];
        double[] etcdPut = new double[etcdClient == null ? 0 : n];
        double[] etcd = new double[etcdClient == null ? 0 : n];
        ByteSequence key = ByteSequence.from("watched", StandardCharsets.UTF_8);
        AtomicLong etcdArrived = new AtomicLong();
        Watch.Watcher etcdWatcher = etcdClient == null ? null : etcdClient.getWatchClient().watch(key,
                Watch.listener(r -> {
                    if (!r.getEvents().isEmpty()) {
                        etcdArrived.set(System.nanoTime());
                    }
                }));
        int[] version = {http.effectiveRevision("watched")};
        Map<String, double[]> statements = Map.of();
        double[] wal = {0, 0};
        try (NioWatchers watcher = new NioWatchers(http.port, 1, i -> "/api/v1/config/watched?wait=60&after=",
                http.headers());
             Connection listen = connect(listenAs)) {
            try (Statement s = listen.createStatement()) {
                s.execute("LISTEN pgfleet_effective");
            }
            org.postgresql.PGConnection pgListen = listen.unwrap(org.postgresql.PGConnection.class);
            // Records when each announcement of the watched collector reaches this LISTEN connection
            // (as another instance's would), on its own thread, so the time is its arrival's.
            java.util.concurrent.ConcurrentHashMap<String, Long> arrivals = new java.util.concurrent.ConcurrentHashMap<>();
            Thread listener = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        org.postgresql.PGNotification[] got = pgListen.getNotifications(0);
                        long now = System.nanoTime();
                        if (got != null) {
                            for (org.postgresql.PGNotification g : got) {
                                arrivals.putIfAbsent(g.getParameter(), now);
                            }
                        }
                    }
                } catch (java.sql.SQLException e) {
                    // closed at the end
                }
            });
            for (int r = -warm; r < n; r++) {
                if (r == 0) {
                    resetStatements(stats);
                }
                if (etcdClient != null) {
                    etcdArrived.set(0);
                    long e0 = System.nanoTime();
                    etcdClient.getKVClient().put(key, ByteSequence.from(doc + "# " + r + "\n", StandardCharsets.UTF_8))
                            .get();
                    long e1 = System.nanoTime();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (etcdArrived.get() == 0 && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    if (r >= 0) {
                        etcdPut[r] = (e1 - e0) / 1e6;
                        etcd[r] = (etcdArrived.get() - e0) / 1e6;
                    }
                }
                int after = version[0];
                watcher.arm(i -> after);
                http.awaitHeld(1);
                long t0 = System.nanoTime();
                HttpResponse<String> answer = http.put(client, "watched", doc + "# latency " + r + "\n");
                long t1 = System.nanoTime();
                if (answer.statusCode() != 200 && answer.statusCode() != 201) {
                    throw new IllegalStateException("publish answered " + answer.statusCode() + " " + answer.body());
                }
                long[] arrived = watcher.await(i -> after + 1, 10_000);
                String payload = "watched:" + (after + 1);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!arrivals.containsKey(payload) && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                Long note = arrivals.get(payload);
                version[0] = after + 1;
                if (r >= 0) {
                    put[r] = (t1 - t0) / 1e6;
                    watch[r] = arrived.length == 0 ? Double.NaN : (arrived[0] - t0) / 1e6;
                    notified[r] = note == null ? Double.NaN : (note - t0) / 1e6;
                }
                Thread.sleep(10);
            }
            statements = statements(stats);
            wal = wal(stats);
        } finally {
            if (etcdWatcher != null) {
                etcdWatcher.close();
            }
            client.close();
        }
        return new Latency(sorted(put), sorted(watch), sorted(notified), sorted(etcdPut), sorted(etcd), statements, wal, n);
    }

    private static List<String> breakdown(String doc, Latency lat, DatabaseSettings db) throws Exception {
        TomlDocumentParser parser = new TomlDocumentParser();
        ConfigDocument document = new ConfigDocument(doc);
        double validate = median(() -> {
            if (!(ConfigValidator.validate(parser.parse(document)) instanceof Validation.Valid)) {
                throw new IllegalStateException("the benchmark's document is invalid");
            }
        });
        double hash = median(() -> ContentHash.of(doc));
        double roundTrip;
        try (Connection c = connect(db); java.sql.PreparedStatement p = c.prepareStatement("SELECT 1")) {
            roundTrip = median(() -> {
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        int n = lat.publishes();
        double calls = 0;
        double inPg = 0;
        double begins = 0;
        double[] commit = lat.statements().getOrDefault("COMMIT", new double[] {0, 0});
        double[] fsync = lat.wal();
        for (Map.Entry<String, double[]> e : lat.statements().entrySet()) {
            calls += e.getValue()[0];
            if (e.getKey().equals("BEGIN")) {
                begins += e.getValue()[0];
            }
            if (!e.getKey().equals("COMMIT")) {
                inPg += e.getValue()[1];
            }
        }
        double trips = (calls - begins) / n; // BEGIN goes out with the first statement
        List<String> out = new ArrayList<>();
        out.add(String.format("| validation (parse + schema), once | %.3f ms | this JVM, the server's parser and validator, median of 2,000 |", validate));
        out.add(String.format("| hashing (SHA-256 of the document), once | %.3f ms | this JVM, median of 2,000 |", hash));
        out.add(String.format("| statements sent | %.1f (of which BEGIN %.1f) | pg_stat_statements calls ÷ publishes |", calls / n, begins / n));
        out.add(String.format("| their execution inside PostgreSQL (without COMMIT) | %.3f ms | pg_stat_statements total_exec_time ÷ publishes |", inPg / n));
        out.add(String.format("| round trips × loopback round trip | %.1f × %.3f = %.3f ms | `SELECT 1` from this JVM, median of 2,000 |", trips, roundTrip, trips * roundTrip));
        out.add(String.format("| COMMIT statement inside PostgreSQL | %.3f ms | pg_stat_statements, COMMIT mean (%.0f of %d seen) |", commit[0] == 0 ? 0 : commit[1] / commit[0], commit[0], n));
        out.add(String.format("| WAL fsync (the commit's flush to disk) | %.2f × %.3f ms = %.3f ms | pg_stat_wal: fsyncs ÷ publishes × mean fsync time |", fsync[0] / n, fsync[0] == 0 ? 0 : fsync[1] / fsync[0], fsync[1] / n));
        out.add(String.format("| PUT answered (everything: HTTP, token, validation, merge, transaction, commit) | %.3f ms | p50 of the PUTs above |", pct(lat.put(), 50)));
        out.add(String.format("| PUT → NOTIFY on another connection | %.3f ms | p50: commit + delivery to a LISTEN connection (another instance's wake-up starts here) |", pct(lat.notified(), 50)));
        out.add(String.format("| PUT → the watch answered (same instance) | %.3f ms | p50 |", pct(lat.watch(), 50)));
        System.out.println("statements of the one-at-a-time publishes (calls, total ms):");
        lat.statements().forEach((q, v) -> System.out.printf("  %6.0f %9.2f  %s%n", v[0], v[1], q));
        return out;
    }

    private static double median(Runnable work) {
        for (int i = 0; i < 2_000; i++) {
            work.run();
        }
        double[] ms = new double[2_000];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return pct(sorted(ms), 50);
    }

    private static void resetStatements(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
            s.execute("SELECT pg_stat_reset_shared('wal')");
        }
    }

    /** {WAL fsyncs, their total ms, WAL bytes} since the last reset. */
    private static double[] wal(Connection c) throws Exception {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT wal_sync, wal_sync_time, wal_bytes FROM pg_stat_wal")) {
            r.next();
            return new double[] {r.getLong(1), r.getDouble(2), r.getDouble(3)};
        }
    }

    /**
     * Prints, per statement of a scenario, what it costs per publish inside PostgreSQL: calls, execution
     * and planning time, rows, buffers dirtied and WAL written ({@code pg_stat_statements}).
     */
    private static void perStatement(Connection c, String scenario, double published) throws Exception {
        System.out.printf("%s: per statement, per publish (calls, exec ms, plan ms, rows, blocks hit, dirtied, WAL bytes):%n",
                scenario);
        try (Statement s = c.createStatement();
             // Statements that differ only in how many rows they carry (VALUES lists) are one line.
             ResultSet r = s.executeQuery("SELECT sum(calls), sum(total_exec_time), sum(total_plan_time), sum(rows),"
                     + " sum(shared_blks_hit), sum(shared_blks_dirtied), sum(wal_bytes),"
                     + " left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS q"
                     + " FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"
                     + " AND query NOT LIKE 'LISTEN%' GROUP BY q ORDER BY 2 DESC LIMIT 12")) {
            while (r.next()) {
                System.out.printf("  %5.2f %7.4f %7.4f %6.2f %7.1f %6.2f %7.0f  %s%n", r.getLong(1) / published,
                        r.getDouble(2) / published, r.getDouble(3) / published, r.getLong(4) / published,
                        r.getLong(5) / published, r.getLong(6) / published, r.getDouble(7) / published, r.getString(8));
            }
        }
    }

    /** Statement text → {calls, total exec ms}, the server's statements only. */
    private static Map<String, double[]> statements(Connection c) throws Exception {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT query, calls, total_exec_time FROM pg_stat_statements"
                     + " WHERE query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE 'LISTEN%'"
                     + " AND query <> 'SELECT 1' ORDER BY calls DESC")) {
            while (r.next()) {
                String q = r.getString(1).replaceAll("\\s+", " ").strip();
                if (q.equalsIgnoreCase("commit")) {
                    q = "COMMIT";
                } else if (q.equalsIgnoreCase("begin")) {
                    q = "BEGIN";
                }
                double[] v = out.computeIfAbsent(q.length() > 140 ? q.substring(0, 140) + "…" : q, k -> new double[2]);
                v[0] += r.getLong(2);
                v[1] += r.getDouble(3);
            }
        }
        return out;
    }

    private static Connection connect(DatabaseSettings db) throws Exception {
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    private static String row(String what, double[] sorted) {
        return String.format("| %s | %.2f | %.2f | %.2f | %.2f |", what, pct(sorted, 50), pct(sorted, 90), pct(sorted, 99),
                sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]);
    }

    private static double[] sorted(double[] v) {
        return java.util.Arrays.stream(v).filter(x -> !Double.isNaN(x)).sorted().toArray();
    }

    private static double pct(double[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }

    /** The server under test. */
    private static final class Http extends BenchHttp {

        Http(int port) throws Exception {
            super(port);
        }

        void awaitHeld(double n) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                if (held() >= n) {
                    return;
                }
                Thread.sleep(2);
            }
            throw new IllegalStateException("the watch was not held within 10 s");
        }
    }
}
