package io.pgfleet.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cost of waking many watchers, pgfleet side by side with etcd in the same run:
 * <ul>
 *   <li><b>etcd</b>: N watchers of one key (jetcd, etcd's Java client; every watcher its own gRPC
 *       watch stream), one put → every watcher's event;</li>
 *   <li><b>pgfleet, one collector</b>: N long-poll watches of one collector's configuration, one
 *       {@code PUT} → every watch answered;</li>
 *   <li><b>pgfleet, group change</b>: N collectors in one label group, each watched by its own
 *       connection, one group-layer {@code PUT} → every watch answered.</li>
 * </ul>
 * Latency of a watcher = its answer's arrival − the moment the change was sent. The pgfleet
 * watchers are raw HTTP/1.1 connections on one selector thread ({@link NioWatchers}), so the client
 * adds as little as jetcd's event loop does. Each scenario runs {@code --rounds} times, interleaved,
 * and the table gives every round and the median of the rounds.
 *
 * <p>Each row also breaks a round down: when the change's own request was answered ({@code PUT}
 * or {@code put}), when the first watcher was, and the CPU time the server under test (or etcd)
 * used from the change to the last answer, read from {@code /proc}.
 *
 * <pre>./pgfleet bench fanout [--watchers 100,1000,5000] [--rounds 3] [--doc-bytes 3000] [--etcd-clients 1]
 *     [--server-opts "-XX:StartFlightRecording=…"] [--warmup-publishes 0] [--warmup-rounds 1]</pre>
 */
public final class FanoutBenchmark {

    private FanoutBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar PATH [--watchers LIST] [--group-watchers LIST] [--rounds R] [--doc-bytes B]
     *             [--etcd PATH] [--etcd-clients C] [--heap 512m]}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = BenchOptions.parse(new Options(), args);
        Path jar = o.jar;
        List<Integer> sizes = o.sizes;
        List<Integer> groupSizes = o.groupSizes.equals(List.of(0)) ? List.of() : o.groupSizes;
        int rounds = o.rounds;
        int docBytes = o.docBytes;
        String etcd = o.etcd;
        int etcdClients = o.etcdClients;
        String heap = o.heap;
        Path dir = Files.createTempDirectory("pgfleet-fanout");
        List<String[]> rows = new ArrayList<>();
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir.resolve("pg"))) {
            int port = BenchServer.freePort();
            List<String> jvm = new ArrayList<>(List.of("-Xmx" + heap));
            jvm.addAll(o.serverOpts);
            Process server = BenchServer.start(jar, jvm,
                    BenchServer.env(pg.settings(16), port, dir.resolve("server")), "server");
            BenchServer.Etcd etcdServer = BenchServer.etcd(etcd, dir.resolve("etcd"));
            Process etcdProcess = etcdServer.process();
            List<Client> clients = new ArrayList<>();
            try {
                for (int c = 0; c < etcdClients; c++) {
                    clients.add(Client.builder().endpoints(etcdServer.endpoint()).build());
                }
                Pgfleet pgfleet = new Pgfleet(port);
                serverPid = server.pid();
                etcdPid = etcdProcess.pid();
                String doc = document(docBytes);
                warmUp(pgfleet, doc, o.warmupPublishes);
                for (int n : sizes) {
                    rows.addAll(oneKey(pgfleet, clients, n, o.warmupRounds, rounds, doc));
                }
                for (int n : groupSizes) {
                    rows.addAll(groupChange(pgfleet, clients, n, o.warmupRounds, rounds, doc));
                }
                System.out.printf("%nserver after the run: heap used %.0f MiB, RSS %.0f MiB; etcd RSS %.0f MiB%n",
                        Proc.heapUsedMiB(server.pid()), Proc.rssMiB(server.pid()), Proc.rssMiB(etcdProcess.pid()));
            } finally {
                clients.forEach(Client::close);
                etcdProcess.destroy();
                server.destroy();
                etcdProcess.waitFor(30, TimeUnit.SECONDS);
                server.waitFor(30, TimeUnit.SECONDS);
            }
        }
        System.out.println();
        System.out.println("| scenario | watchers | round | answered | change answered ms | first ms | p50 ms | p99 ms"
                + " | max ms | CPU ms of the round (server / etcd) | client selector busy / CPU ms |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(r -> System.out.println("| " + String.join(" | ", r) + " |"));
        System.out.println("(" + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                + Runtime.version() + ", document " + docBytes + " bytes, etcd clients " + etcdClients + ")");
    }

    /** N watchers of one etcd key against N watches of one pgfleet collector, round by round. */
    private static List<String[]> oneKey(Pgfleet pgfleet, List<Client> clients, int n, int warmupRounds, int rounds,
            String doc)
            throws Exception {
        String id = "fan-" + n;
        pgfleet.send("POST", "/api/v1/collectors", "application/json", "{\"id\":\"" + id + "\"}");
        int[] version = {pgfleet.publish(id, doc + "# initial\n")};
        ByteSequence key = ByteSequence.from(id, StandardCharsets.UTF_8);
        clients.get(0).getKVClient().put(key, ByteSequence.from(doc, StandardCharsets.UTF_8)).get();
        Etcd etcd = new Etcd(clients, key, n);
        List<double[]> etcdRounds = new ArrayList<>();
        List<double[]> pgRounds = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        try (NioWatchers watchers = new NioWatchers(pgfleet.port, n,
                i -> "/api/v1/config/" + id + "?wait=60&after=", pgfleet.headers())) {
            for (int r = 1 - warmupRounds; r <= rounds; r++) {
                // Rounds up to 0 warm both up (JIT, connections, caches) and are not recorded.
                // etcd first, then pgfleet, so that both see the same moment of a noisy machine.
                etcdRounds.add(etcd.round(clients.get(0), key, doc + "# " + r + "\n"));
                double before = pgfleet.held();
                watchers.arm(i -> version[0]);
                pgfleet.awaitHeld(before + n);
                double cpu0 = Proc.cpuSeconds(serverPid);
                long busy0 = watchers.busyNanos();
                long clientCpu0 = watchers.cpuNanos();
                long t0 = System.nanoTime();
                version[0] = pgfleet.publish(id, doc + "# " + r + "\n");
                long changed = System.nanoTime();
                long[] arrived = watchers.await(i -> version[0], 60_000);
                pgRounds.add(withClient(stats(arrived, t0, changed, Proc.cpuSeconds(serverPid) - cpu0),
                        watchers.busyNanos() - busy0, watchers.cpuNanos() - clientCpu0));
                if (r <= 0) {
                    etcdRounds.clear();
                    pgRounds.clear();
                    continue;
                }
                rows.add(row("etcd, one key", n, r, etcdRounds.getLast()));
                rows.add(row("pgfleet, one collector", n, r, pgRounds.getLast()));
                if (watchers.failed() > 0 || watchers.refusals() > 0) {
                    System.out.println(watchers.failed() + " pgfleet watchers failed, " + watchers.refusals()
                            + " answers refused so far (first: " + NioWatchers.firstFailure + ")");
                }
            }
        } finally {
            etcd.close();
        }
        rows.add(row("etcd, one key", n, 0, median(etcdRounds)));
        rows.add(row("pgfleet, one collector", n, 0, median(pgRounds)));
        printSoFar(rows);
        return rows;
    }

    /** N collectors in one group, each watched by its own connection; the group's layer changes. */
    private static List<String[]> groupChange(Pgfleet pgfleet, List<Client> clients, int n, int warmupRounds,
            int rounds, String doc)
            throws Exception {
        String group = "fan" + n;
        System.out.printf("setting up %d collectors in group %s …%n", n, group);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> f = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String id = group + "-" + i;
                f.add(pool.submit(() -> {
                    pgfleet.send("POST", "/api/v1/collectors", "application/json",
                            "{\"id\":\"" + id + "\",\"labels\":{\"fanout\":\"" + group + "\"}}");
                    pgfleet.publish(id, "[postgres]\nport = 5432\n");
                    return null;
                }));
            }
            for (Future<?> x : f) {
                x.get();
            }
        }
        pgfleet.send("POST", "/api/v1/groups", "application/json",
                "{\"id\":\"" + group + "\",\"selector\":{\"fanout\":\"" + group + "\"},\"priority\":10}");
        int[] revisions = new int[n];
        for (int i = 0; i < n; i++) {
            revisions[i] = pgfleet.effectiveRevision(group + "-" + i);
        }
        ByteSequence key = ByteSequence.from(group, StandardCharsets.UTF_8);
        clients.get(0).getKVClient().put(key, ByteSequence.from(doc, StandardCharsets.UTF_8)).get();
        Etcd etcd = new Etcd(clients, key, n);
        List<double[]> etcdRounds = new ArrayList<>();
        List<double[]> pgRounds = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        try (NioWatchers watchers = new NioWatchers(pgfleet.port, n,
                i -> "/api/v1/config/" + group + "-" + i + "?wait=60&after=", pgfleet.headers())) {
            for (int r = 1 - warmupRounds; r <= rounds; r++) {
                etcdRounds.add(etcd.round(clients.get(0), key, doc + "# " + r + "\n"));
                double before = pgfleet.held();
                watchers.arm(i -> revisions[i]);
                pgfleet.awaitHeld(before + n);
                double cpu0 = Proc.cpuSeconds(serverPid);
                long busy0 = watchers.busyNanos();
                long clientCpu0 = watchers.cpuNanos();
                long t0 = System.nanoTime();
                pgfleet.send("PUT", "/api/v1/groups/" + group + "/config", "application/toml",
                        "[collector]\npush_interval = " + (10 + r + warmupRounds) + "\n");
                long changed = System.nanoTime();
                long[] arrived = watchers.await(i -> revisions[i] + 1, 60_000);
                pgRounds.add(withClient(stats(arrived, t0, changed, Proc.cpuSeconds(serverPid) - cpu0),
                        watchers.busyNanos() - busy0, watchers.cpuNanos() - clientCpu0));
                for (int i = 0; i < n; i++) {
                    revisions[i]++;
                }
                if (r <= 0) {
                    etcdRounds.clear();
                    pgRounds.clear();
                    continue;
                }
                rows.add(row("etcd, one key", n, r, etcdRounds.getLast()));
                rows.add(row("pgfleet, group change", n, r, pgRounds.getLast()));
                if (watchers.failed() > 0 || watchers.refusals() > 0) {
                    System.out.println(watchers.failed() + " pgfleet watchers failed, " + watchers.refusals()
                            + " answers refused so far (first: " + NioWatchers.firstFailure + ")");
                }
            }
        } finally {
            etcd.close();
        }
        rows.add(row("etcd, one key", n, 0, median(etcdRounds)));
        rows.add(row("pgfleet, group change", n, 0, median(pgRounds)));
        printSoFar(rows);
        return rows;
    }

    /**
     * Publishes to a collector no one watches, so that the server's publish path is compiled before
     * the rounds: a round sends one change, and the few changes of the rounds alone leave the JVM's
     * publish path interpreted (measured: the {@code PUT} then takes several times as long), which
     * the Go binary on the other side never is.
     */
    private static void warmUp(Pgfleet pgfleet, String doc, int publishes) throws Exception {
        if (publishes <= 0) {
            return;
        }
        pgfleet.send("POST", "/api/v1/collectors", "application/json", "{\"id\":\"fan-warm-up\"}");
        for (int i = 0; i < publishes; i++) {
            pgfleet.publish("fan-warm-up", doc + "# warm-up " + i + "\n");
        }
    }

    private static void printSoFar(List<String[]> rows) {
        rows.forEach(r -> System.out.println("| " + String.join(" | ", r) + " |"));
    }

    private static String[] row(String scenario, int n, int round, double[] s) {
        return new String[] {scenario, Integer.toString(n), round == 0 ? "**median**" : Integer.toString(round),
                String.format("%.0f of %d", s[0], n), String.format("%.1f", s[4]), String.format("%.1f", s[5]),
                String.format("%.1f", s[1]), String.format("%.1f", s[2]), String.format("%.1f", s[3]),
                String.format("%.0f", s[6]),
                Double.isNaN(s[7]) ? "-" : String.format("%.1f / %.1f", s[7], s[8])};
    }

    /**
     * A round's figures with the benchmark client's own cost appended: how long its selector thread
     * was busy handling ready connections and the CPU it used during the round, in milliseconds.
     */
    private static double[] withClient(double[] s, long busyNanos, long cpuNanos) {
        double[] w = Arrays.copyOf(s, 9);
        w[7] = busyNanos / 1e6;
        w[8] = cpuNanos < 0 ? Double.NaN : cpuNanos / 1e6;
        return w;
    }

    /** The server under test and etcd, whose CPU time (from /proc) each round reports. */
    private static long serverPid;
    private static long etcdPid;

    /**
     * {answered, p50, p99, max, change answered, first, CPU ms}: times in milliseconds after {@code t0}
     * (the change sent), {@code changed} when the change's own request was answered, and the CPU
     * seconds the process under test used from sending the change to the last answer.
     */
    private static double[] stats(long[] arrived, long t0, long changed, double cpuSeconds) {
        double[] ms = Arrays.stream(arrived).mapToDouble(a -> (a - t0) / 1e6).sorted().toArray();
        double change = (changed - t0) / 1e6;
        if (ms.length == 0) {
            return new double[] {0, Double.NaN, Double.NaN, Double.NaN, change, Double.NaN, cpuSeconds * 1000,
                Double.NaN, Double.NaN};
        }
        return new double[] {ms.length, pct(ms, 50), pct(ms, 99), ms[ms.length - 1], change, ms[0], cpuSeconds * 1000,
            Double.NaN, Double.NaN};
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }

    /** The median of each figure over the rounds. */
    private static double[] median(List<double[]> rounds) {
        double[] m = new double[9];
        for (int k = 0; k < 9; k++) {
            int kk = k;
            double[] v = rounds.stream().mapToDouble(x -> x[kk]).sorted().toArray();
            m[k] = v[v.length / 2];
        }
        return m;
    }

    static String document(int bytes) {
        StringBuilder sb = new StringBuilder(io.pgfleet.testing.ConfigCorpus.SPEC_EXAMPLE);
        while (sb.length() < bytes) {
            sb.append("# operator note: this host belongs to the reporting cluster; change windows are on Sundays.\n");
        }
        return sb.toString();
    }

    /** The options, with their defaults; {@code --group-watchers 0} leaves the group change out. */
    private static final class Options {
        @Option(names = "--server-jar", required = true)
        Path jar;
        @Option(names = "--watchers", split = BenchOptions.COMMAS)
        List<Integer> sizes = List.of(100, 1000, 5000);
        @Option(names = "--group-watchers", split = BenchOptions.COMMAS)
        List<Integer> groupSizes = List.of(1000);
        @Option(names = "--rounds")
        int rounds = 3;
        @Option(names = "--doc-bytes")
        int docBytes = 3000;
        @Option(names = "--etcd")
        String etcd = "/usr/bin/etcd";
        @Option(names = "--etcd-clients")
        int etcdClients = 1;
        @Option(names = "--heap")
        String heap = "512m";
        /** Publishes to an unwatched collector before the rounds; 0 leaves the publish path cold. */
        @Option(names = "--warmup-publishes")
        int warmupPublishes = 0;
        /**
         * Rounds of each scenario run before the recorded ones and left out of the table: the first
         * rounds of a fresh server run its answer path while the JIT still compiles it.
         */
        @Option(names = "--warmup-rounds")
        int warmupRounds = 1;
        /** More options for the server's JVM, e.g. a flight recording. */
        final List<String> serverOpts = new ArrayList<>();

        @Option(names = "--server-opts")
        void serverOpts(String jvmOptions) {
            serverOpts.addAll(BenchOptions.words(jvmOptions));
        }
    }

    /** N jetcd watchers of one key, spread over the clients; each records when its event arrived. */
    private static final class Etcd implements AutoCloseable {
        private final List<Watch.Watcher> watchers = new ArrayList<>();
        private final AtomicLongArray arrived;
        private final AtomicInteger created = new AtomicInteger();
        private final AtomicInteger events = new AtomicInteger();
        private final int n;

        Etcd(List<Client> clients, ByteSequence key, int n) throws InterruptedException {
            this.n = n;
            this.arrived = new AtomicLongArray(n);
            WatchOption option = WatchOption.builder().withCreateNotify(true).build();
            for (int i = 0; i < n; i++) {
                int index = i;
                watchers.add(clients.get(i % clients.size()).getWatchClient().watch(key, option, Watch.listener(resp -> {
                    long now = System.nanoTime();
                    if (resp.isCreatedNotify()) {
                        created.incrementAndGet();
                    } else if (!resp.getEvents().isEmpty()) {
                        arrived.set(index, now);
                        events.incrementAndGet();
                    }
                })));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (created.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (created.get() < n) {
                throw new IllegalStateException("only " + created.get() + " of " + n + " etcd watchers were created");
            }
        }

        double[] round(Client client, ByteSequence key, String value) throws Exception {
            for (int i = 0; i < n; i++) {
                arrived.set(i, 0);
            }
            events.set(0);
            double cpu0 = Proc.cpuSeconds(etcdPid);
            long t0 = System.nanoTime();
            client.getKVClient().put(key, ByteSequence.from(value, StandardCharsets.UTF_8)).get();
            long changed = System.nanoTime();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (events.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            List<Long> got = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (arrived.get(i) != 0) {
                    got.add(arrived.get(i));
                }
            }
            return stats(got.stream().mapToLong(Long::longValue).toArray(), t0, changed, Proc.cpuSeconds(etcdPid) - cpu0);
        }

        @Override
        public void close() {
            watchers.forEach(Watch.Watcher::close);
        }
    }

    /** The pgfleet server under test, spoken to with the JDK's client for everything but the watches. */
    private static final class Pgfleet extends BenchHttp {

        Pgfleet(int port) throws Exception {
            super(port);
        }

        /**
         * Waits until the server holds {@code n} watches, so that a change finds them all waiting; at
         * most 20 s (earlier scenarios' closed watches end their hold on their own, which can keep the
         * count from ever reaching the target: then the run goes on and a late watcher is answered at once).
         */
        void awaitHeld(double n) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            double seen = 0;
            while (System.nanoTime() < deadline) {
                seen = held();
                if (seen >= n) {
                    Thread.sleep(200);
                    return;
                }
                Thread.sleep(50);
            }
            System.out.printf("(held %.0f of %.0f watches after 20 s; going on)%n", seen, n);
        }
    }
}
