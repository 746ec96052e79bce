package io.pgfleet.bench;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.testing.ConfigCorpus;
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
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Latest-configuration reads of ~3 KB documents, pgfleet against the peer (Spring Cloud Config
 * Server, JDBC backend) on the same machine and the same PostgreSQL, driven by wrk with the
 * peer's random-path script: 1,000 collectors, random one per request.
 */
public final class ReadBenchmark {

    private ReadBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar J --peer-jar P --peer-dir D [--seconds S] [--connections C[,C…]]
     *             [--rounds R] [--warmup S (5)] [--server-opts "JVM options"] [--compare-opts "JVM options"]}: every round
     *             drives the peer and then pgfleet at each connection count (and then a second pgfleet
     *             server started with {@code --compare-opts} instead of {@code --server-opts}, on the same
     *             database); the table gives each figure's median over the rounds, with the server's CPU
     *             time per answered request (user + system, from /proc), which the load of other
     *             processes changes far less than the rates
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options options = BenchOptions.parse(new Options(), args);
        Path serverJar = options.serverJar;
        Path peerJar = options.peerJar;
        Path peerDir = options.peerDir;
        int seconds = options.seconds;
        List<Integer> connectionCounts = options.connectionCounts;
        int rounds = options.rounds;
        int warmup = options.warmup;
        List<String> serverOpts = options.serverOpts;
        List<String> compareOpts = options.compareOpts;
        String java = BenchServer.java();
        Path dir = Files.createTempDirectory("pgfleet-read-bench");
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            DatabaseSettings db = pg.settings(16);
            try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE peer");
            }
            String peerUrl = db.url().replaceFirst("/postgres(\\?|$)", "/peer$1");
            try (Connection c = DriverManager.getConnection(peerUrl, db.user(), db.password()); Statement s = c.createStatement()) {
                s.execute(Files.readString(peerDir.resolve("seed-peer.sql")));
            }
            List<Process> servers = new ArrayList<>();
            List<String> names = new ArrayList<>(List.of("pgfleet " + serverOpts));
            servers.add(server(serverJar, serverOpts, db, 19300, dir));
            if (compareOpts != null) {
                names.add("pgfleet " + compareOpts);
                servers.add(server(serverJar, compareOpts, db, 19302, dir));
            }
            Process peer = Proc.start(List.of(java, "-Xmx512m", "-jar", peerJar.toString()),
                    Map.of("PEER_DB_URL", peerUrl, "PEER_DB_USER", db.user(), "PEER_DB_PASSWORD", db.password(),
                            "PEER_PORT", "19301"),
                    Pattern.compile("Started "), "peer");
            try {
                HttpClient http = HttpClient.newHttpClient();
                String token = BenchHttp.login(http, 19300);
                String doc = document();
                for (int i = 1; i <= 1000; i++) {
                    send(http, token, "POST", "/api/v1/collectors", "application/json", "{\"id\":\"c" + i + "\"}");
                    send(http, token, "PUT", "/api/v1/config/c" + i, "application/toml", doc + "# collector " + i + "\n");
                }
                Path lua = peerDir.resolve("random-path.lua");
                String auth = "Bearer " + token;
                wrk(lua, 19301, "/c%d/default/master", "", warmup, connectionCounts.get(0));
                for (int k = 0; k < servers.size(); k++) {
                    wrk(lua, 19300 + 2 * k, "/api/v1/config/c%d", auth, warmup, connectionCounts.get(0));
                }
                // rows[connection index][0 = peer, 1.. = pgfleet servers] = one figure array per round
                List<List<List<double[]>>> rows = new ArrayList<>();
                for (int c = 0; c < connectionCounts.size(); c++) {
                    List<List<double[]>> row = new ArrayList<>();
                    for (int k = 0; k <= servers.size(); k++) {
                        row.add(new ArrayList<>());
                    }
                    rows.add(row);
                }
                List<String> loads = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    for (int c = 0; c < connectionCounts.size(); c++) {
                        int conns = connectionCounts.get(c);
                        String load = loadAverage();
                        double[] p = measured(peer, lua, 19301, "/c%d/default/master", "", seconds, conns);
                        rows.get(c).get(0).add(p);
                        loads.add(load);
                        System.out.printf("round %d, %d connections (load average %s): peer %.0f/s p99 %.2f ms, %.0f µs CPU/request%n",
                                r + 1, conns, load, p[0], p[3], p[5]);
                        for (int k = 0; k < servers.size(); k++) {
                            double[] f = measured(servers.get(k), lua, 19300 + 2 * k, "/api/v1/config/c%d", auth, seconds, conns);
                            rows.get(c).get(k + 1).add(f);
                            System.out.printf("    %s %.0f/s p99 %.2f ms, %.0f µs CPU/request, ratio %.1f× (load average now %s)%n",
                                    names.get(k), f[0], f[3], f[5], f[0] / p[0], loadAverage());
                        }
                    }
                }
                System.out.println();
                System.out.printf("median of %d round(s), wrk -t2 -d%ds:%n%n", rounds, seconds);
                System.out.println("| connections | server | requests/s | p50 ms | p90 ms | p99 ms | bytes per answer "
                        + "| server CPU µs/request | ratio (median of rounds) |");
                System.out.println("|---|---|---|---|---|---|---|---|---|");
                for (int c = 0; c < connectionCounts.size(); c++) {
                    double[] p = median(rows.get(c).get(0));
                    System.out.printf("| %d | Spring Cloud Config Server (JDBC) | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f | |%n",
                            connectionCounts.get(c), p[0], p[1], p[2], p[3], p[4], p[5]);
                    for (int k = 0; k < servers.size(); k++) {
                        double[] f = median(rows.get(c).get(k + 1));
                        List<Double> ratios = new ArrayList<>();
                        for (int r = 0; r < rounds; r++) {
                            ratios.add(rows.get(c).get(k + 1).get(r)[0] / rows.get(c).get(0).get(r)[0]);
                        }
                        Collections.sort(ratios);
                        System.out.printf("| %d | %s | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f | %.1f× |%n",
                                connectionCounts.get(c), names.get(k), f[0], f[1], f[2], f[3], f[4], f[5],
                                ratios.get(ratios.size() / 2));
                    }
                }
                System.out.println();
                System.out.println("load averages at the start of each measurement: " + String.join("; ", loads));
                System.out.println("(" + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                        + Runtime.version() + ", server options " + serverOpts + ")");
            } finally {
                servers.forEach(Process::destroy);
                peer.destroy();
                for (Process server : servers) {
                    server.waitFor(30, TimeUnit.SECONDS);
                }
                peer.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The options, with their defaults: the peer's jar and its seed are required. */
    private static final class Options {
        @Option(names = "--server-jar", required = true)
        Path serverJar;
        @Option(names = "--peer-jar", required = true)
        Path peerJar;
        @Option(names = "--peer-dir", required = true)
        Path peerDir;
        @Option(names = "--seconds")
        int seconds = 20;
        @Option(names = "--connections", split = BenchOptions.COMMAS)
        List<Integer> connectionCounts = List.of(32);
        @Option(names = "--rounds")
        int rounds = 1;
        @Option(names = "--warmup")
        int warmup = 5;
        List<String> serverOpts = List.of();
        List<String> compareOpts;

        @Option(names = "--server-opts")
        void serverOpts(String jvmOptions) {
            serverOpts = BenchOptions.words(jvmOptions);
        }

        @Option(names = "--compare-opts")
        void compareOpts(String jvmOptions) {
            compareOpts = BenchOptions.words(jvmOptions);
        }
    }

    /** A pgfleet server on the benchmark's database, JVM options {@code -Xmx512m} then {@code opts}. */
    private static Process server(Path jar, List<String> opts, DatabaseSettings db, int port, Path dir)
            throws Exception {
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        jvm.addAll(opts);
        return BenchServer.start(jar, jvm, BenchServer.env(db, port,
                dir.resolve("server-" + port)), "pgfleet server " + port);
    }

    /**
     * Runs wrk against a server process; returns wrk's figures and, last, the process's CPU time per
     * answered request in microseconds.
     */
    private static double[] measured(Process server, Path lua, int port, String template, String auth, int seconds,
                                     int connections) throws Exception {
        double cpu = Proc.cpuSeconds(server.pid());
        double[] w = wrk(lua, port, template, auth, seconds, connections);
        double used = Proc.cpuSeconds(server.pid()) - cpu;
        double[] out = java.util.Arrays.copyOf(w, w.length + 1);
        out[w.length] = used * 1e6 / (w[0] * seconds);
        return out;
    }

    /** Each figure's own median over the rounds. */
    private static double[] median(List<double[]> runs) {
        double[] out = new double[runs.get(0).length];
        for (int i = 0; i < out.length; i++) {
            List<Double> v = new ArrayList<>();
            for (double[] run : runs) {
                v.add(run[i]);
            }
            Collections.sort(v);
            out[i] = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
        }
        return out;
    }

    /** The machine's 1, 5 and 15 minute load averages. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** A ~3 KB configuration: the SPEC's example padded with operator notes. */
    static String document() {
        StringBuilder sb = new StringBuilder(ConfigCorpus.SPEC_EXAMPLE);
        while (sb.length() < 2900) {
            sb.append("# operator note: this host belongs to the reporting cluster; change windows are on Sundays.\n");
        }
        return sb.toString();
    }

    private static void send(HttpClient http, String token, String method, String path, String type, String body)
            throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:19300" + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", type)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " → " + r.statusCode() + " " + r.body());
        }
    }

    /** Runs wrk; returns requests/s, p50, p90, p99 (ms) and bytes per response. */
    private static double[] wrk(Path lua, int port, String template, String auth, int seconds, int connections)
            throws Exception {
        return wrk(lua, port, template, auth, seconds, connections, 2, 1000);
    }

    /** Runs wrk with T threads over N paths; returns requests/s, p50, p90, p99 (ms) and bytes per response. */
    static double[] wrk(Path lua, int port, String template, String auth, int seconds, int connections, int threads,
                        int paths) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--latency",
                "-s", lua.toString(), "http://127.0.0.1:" + port));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("BENCH_N", Integer.toString(paths));
        pb.environment().put("BENCH_PATH", template);
        if (!auth.isEmpty()) {
            pb.environment().put("BENCH_AUTH", auth);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        double rps = number(out, "Requests/sec:\\s+([\\d.]+)", 1);
        double bytes = number(out, "Transfer/sec:\\s+([\\d.]+)(\\w+)", 1);
        String unit = match(out, "Transfer/sec:\\s+[\\d.]+(\\w+)");
        double scale = unit.startsWith("GB") ? 1e9 : unit.startsWith("MB") ? 1024 * 1024 : unit.startsWith("KB") ? 1024 : 1;
        if (out.contains("Non-2xx")) {
            System.out.println("warning: non-2xx answers from port " + port + "\n" + out);
        }
        return new double[] {rps, ms(out, "50%"), ms(out, "90%"), ms(out, "99%"), bytes * scale / rps};
    }

    private static double ms(String out, String pct) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(pct) + "\\s+([\\d.]+)(us|ms|s)").matcher(out);
        if (!m.find()) {
            return -1;
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
    }

    private static double number(String out, String regex, int group) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? Double.parseDouble(m.group(group)) : -1;
    }

    private static String match(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? m.group(1) : "";
    }
}
