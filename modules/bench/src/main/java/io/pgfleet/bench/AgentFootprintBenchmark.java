package io.pgfleet.bench;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's footprint against a real server and a real PostgreSQL, for M minutes: resident memory
 * (RSS and PSS, max and at the end) and CPU, over the whole run and over the idle window after the
 * first minute.
 *
 * <p>The shipped agent is measured exactly as operators run it: the agent tarball is built with
 * {@code packaging/package.sh} (its jlink'd runtime, its {@code lib/jvm.options}), unpacked, and its
 * {@code bin/pgfleet-agent} command started with nothing in {@code PGFLEET_AGENT_JAVA_OPTS} — the
 * command the systemd unit runs. Other profiles run beside it against the same server, each with a
 * collector and configuration of its own: {@code --compare-opts} runs the same installed command
 * with {@code PGFLEET_AGENT_JAVA_OPTS} set, {@code --agent-opts} the jar on this JVM's java.
 */
public final class AgentFootprintBenchmark {

    private static final Pattern REGISTERED = Pattern.compile("registered as collector (\\S+)");

    private AgentFootprintBenchmark() {
    }

    /** One agent under measurement. */
    private record Profile(String name, List<String> command, Map<String, String> env) {
    }

    /** A running agent and what was sampled of it. */
    private static final class Running {
        final Profile profile;
        final Process process;
        String collectorId = "";
        double maxRss;
        double maxPss;
        double cpuStart;
        double cpuAfterFirstMinute = -1;
        long tAfterFirstMinute;

        Running(Profile profile, Process process) {
            this.profile = profile;
            this.process = process;
        }
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar J --agent-jar A [--jdk DIR --package-script S [--package-cache DIR]]
     *             [--minutes M] [--intervals default|fast] [--instances N] [--compare-opts "…"]… [--agent-opts "…"]…}
     *             ({@code --instances N}: N agents of each profile side by side, each its own process, collector
     *             and configuration; the table then also gives each profile's median)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options options = BenchOptions.parse(new Options(), args);
        Path serverJar = options.serverJar;
        Path agentJar = options.agentJar;
        Path jdk = options.jdk;
        Path packageScript = options.packageScript;
        Path packageCache = options.packageCache;
        int minutes = options.minutes;
        boolean fast = options.intervals == Intervals.FAST;
        List<String> compareOpts = options.compareOpts;
        List<String> agentOpts = options.agentOpts;
        int instances = options.instances;
        Path dir = Files.createTempDirectory("pgfleet-agent-bench");
        String java = BenchServer.java();

        List<Profile> profiles = new ArrayList<>();
        if (packageScript != null) {
            Path command = installedAgent(packageScript, jdk == null ? Path.of(System.getProperty("java.home")) : jdk,
                    agentJar, packageCache == null ? dir.resolve("package-cache") : packageCache, dir);
            profiles.add(new Profile("shipped: bin/pgfleet-agent (lib/jvm.options)", List.of(command.toString()), Map.of()));
            for (String o : compareOpts) {
                profiles.add(new Profile("bin/pgfleet-agent, PGFLEET_AGENT_JAVA_OPTS=`" + o + "`",
                        List.of(command.toString()), Map.of("PGFLEET_AGENT_JAVA_OPTS", o)));
            }
        } else if (!compareOpts.isEmpty()) {
            throw new IllegalArgumentException("--compare-opts needs the package (--package-script)");
        }
        for (String o : agentOpts) {
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(List.of(o.trim().split("\\s+")));
            cmd.addAll(List.of("-jar", agentJar.toString()));
            profiles.add(new Profile("java `" + o + "` -jar (JDK " + Runtime.version().feature() + ")", cmd, Map.of()));
        }
        if (profiles.isEmpty()) {
            throw new IllegalArgumentException("nothing to measure: give --package-script or --agent-opts");
        }

        String loadBefore = load();
        int port = BenchServer.freePort();
        String base = "http://127.0.0.1:" + port;
        List<Running> agents = new ArrayList<>();
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            DatabaseSettings db = pg.settings(8);
            Map<String, String> env = BenchServer.env(db, port, dir.resolve("server"));
            env.put("PGFLEET_REGISTRATION_SECRET", "bench-registration-secret");
            Process server = BenchServer.start(serverJar, List.of("-Xmx256m"), env, "server");
            try {
                HttpClient http = HttpClient.newHttpClient();
                String token = BenchHttp.login(http, port);
                String doc = document(db, dir, fast);
                List<Profile> started = new ArrayList<>();
                for (Profile p : profiles) {
                    for (int n = 0; n < instances; n++) {
                        started.add(p);
                    }
                }
                for (int i = 0; i < started.size(); i++) {
                    Running r = startAgent(started.get(i), dir.resolve("agent-" + i), base);
                    agents.add(r);
                    HttpResponse<String> put = http.send(HttpRequest.newBuilder(
                                    URI.create(base + "/api/v1/config/" + r.collectorId))
                            .header("Authorization", "Bearer " + token).header("Content-Type", "application/toml")
                            .PUT(HttpRequest.BodyPublishers.ofString(doc)).build(), HttpResponse.BodyHandlers.ofString());
                    if (put.statusCode() != 201 && put.statusCode() != 200) {
                        throw new IllegalStateException("publish: " + put.statusCode() + " " + put.body());
                    }
                }
                long t0 = System.nanoTime();
                for (Running r : agents) {
                    r.cpuStart = Proc.cpuSeconds(r.process.pid());
                }
                for (int s = 1; s <= minutes * 6; s++) {
                    Thread.sleep(10_000);
                    StringBuilder line = new StringBuilder("t=%4d s".formatted(s * 10));
                    for (Running r : agents) {
                        long pid = r.process.pid();
                        double rss = Proc.rssMiB(pid);
                        double pss = pssMiB(pid);
                        r.maxRss = Math.max(r.maxRss, rss);
                        r.maxPss = Math.max(r.maxPss, pss);
                        if (s == 6) {
                            r.cpuAfterFirstMinute = Proc.cpuSeconds(pid);
                            r.tAfterFirstMinute = System.nanoTime();
                        }
                        line.append("  |  RSS %.1f PSS %.1f MiB".formatted(rss, pss));
                    }
                    System.out.println(line);
                }
                double wall = (System.nanoTime() - t0) / 1e9;
                System.out.println();
                System.out.println("| agent | RSS max MiB | RSS at end MiB | PSS at end MiB | CPU whole run | CPU after the first minute |");
                System.out.println("|---|---|---|---|---|---|");
                Map<Profile, List<double[]>> rows = new java.util.LinkedHashMap<>();
                for (Running r : agents) {
                    long pid = r.process.pid();
                    double cpu = Proc.cpuSeconds(pid);
                    double idle = r.tAfterFirstMinute == 0 ? Double.NaN
                            : (cpu - r.cpuAfterFirstMinute) / ((System.nanoTime() - r.tAfterFirstMinute) / 1e9);
                    double[] row = {r.maxRss, Proc.rssMiB(pid), pssMiB(pid), 100 * (cpu - r.cpuStart) / wall, 100 * idle};
                    rows.computeIfAbsent(r.profile, k -> new ArrayList<>()).add(row);
                    print(r.profile.name() + " (pid " + pid + ")", row);
                }
                if (instances > 1) {
                    rows.forEach((p, list) -> {
                        double[] median = new double[5];
                        for (int c = 0; c < 5; c++) {
                            final int col = c;
                            double[] v = list.stream().mapToDouble(x -> x[col]).sorted().toArray();
                            median[c] = v[v.length / 2];
                        }
                        print("**median of " + list.size() + "**: " + p.name(), median);
                    });
                }
                System.out.println("(" + Instant.now() + ", " + minutes + " minutes, "
                        + Runtime.getRuntime().availableProcessors() + " CPUs, load average before " + loadBefore
                        + ", after " + load() + (fast ? "; collectors: all five on, 5 s intervals, push every 10 s)"
                        : "; the published defaults: pg_stats 60 s, pg_connections 30 s, sysstat 30 s,"
                        + " disk_usage 300 s, pg_locks off, push 60 s, watch on)"));
            } finally {
                for (Running r : agents) {
                    r.process.destroy();
                    r.process.waitFor(20, TimeUnit.SECONDS);
                }
                server.destroy();
                server.waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            // the database, the unpacked package and the agents' state: nothing left in /tmp
            try (var all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The options, with their defaults; the paths not given are looked for or made. */
    private static final class Options {
        @Option(names = "--server-jar", required = true)
        Path serverJar;
        @Option(names = "--agent-jar", required = true)
        Path agentJar;
        @Option(names = "--jdk")
        Path jdk;
        @Option(names = "--package-script")
        Path packageScript;
        @Option(names = "--package-cache")
        Path packageCache;
        @Option(names = "--minutes")
        int minutes = 6;
        @Option(names = "--intervals", converter = IntervalsChoice.class)
        Intervals intervals = Intervals.DEFAULT;
        @Option(names = "--compare-opts")
        List<String> compareOpts = new ArrayList<>();
        @Option(names = "--agent-opts")
        List<String> agentOpts = new ArrayList<>();
        @Option(names = "--instances")
        int instances = 1;
    }

    /** The agents' intervals: the published defaults, or every collector every 5 s and a push every 10 s. */
    private enum Intervals { DEFAULT, FAST }

    /** {@code --intervals fast|default}. */
    private static final class IntervalsChoice implements CommandLine.ITypeConverter<Intervals> {
        @Override
        public Intervals convert(String value) {
            return switch (value) {
                case "fast" -> Intervals.FAST;
                case "default" -> Intervals.DEFAULT;
                default -> throw new CommandLine.TypeConversionException("fast|default");
            };
        }
    }

    private static void print(String name, double[] row) {
        System.out.printf("| %s | %.1f | %.1f | %.1f | %.2f %% | %.2f %% |%n", name, row[0], row[1], row[2], row[3], row[4]);
    }

    /** Builds the agent's tarball with the packaging script, unpacks it, and returns its command. */
    private static Path installedAgent(Path script, Path jdk, Path agentJar, Path cache, Path dir) throws Exception {
        Path out = dir.resolve("package");
        run(List.of(script.toString(), "--jdk", jdk.toString(), "--version", "0.0.0-bench", "--agent-jar",
                agentJar.toAbsolutePath().toString(), "--only", "agent", "--formats", "tar", "--out", out.toString(),
                "--cache", cache.toAbsolutePath().toString()));
        Path tarball;
        try (var files = Files.list(out)) {
            tarball = files.filter(p -> p.getFileName().toString().endsWith(".tar.gz")).findFirst().orElseThrow();
        }
        Path host = Files.createDirectories(dir.resolve("host"));
        run(List.of("tar", "-xzf", tarball.toString(), "-C", host.toString()));
        try (var tops = Files.list(host)) {
            return tops.findFirst().orElseThrow().resolve("bin").resolve("pgfleet-agent");
        }
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
    }

    private static Running startAgent(Profile profile, Path home, String serverUrl) throws Exception {
        Files.createDirectories(home);
        Files.writeString(home.resolve("secret"), "bench-registration-secret");
        Files.writeString(home.resolve("agent.toml"), """
                server_url = "%s"
                registration_secret_file = "secret"
                state_dir = "agent-state"
                # the embedded database's password file lives in the benchmark's own directory
                allowed_password_dirs = [".."]
                """.formatted(serverUrl));
        List<String> cmd = new ArrayList<>(profile.command());
        cmd.addAll(List.of("--config", home.resolve("agent.toml").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        // As a service starts it: nothing inherited that would change the JVM's options or malloc.
        pb.environment().keySet().removeIf(k -> k.startsWith("PGFLEET_") || k.startsWith("JAVA_TOOL")
                || k.startsWith("JDK_JAVA") || k.startsWith("_JAVA") || k.startsWith("MALLOC_"));
        pb.environment().putAll(profile.env());
        Process p = pb.start();
        Running r = new Running(profile, p);
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        StringBuilder seen = new StringBuilder();
        while ((line = reader.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = REGISTERED.matcher(line);
            if (m.find()) {
                r.collectorId = m.group(1);
                break;
            }
        }
        if (r.collectorId.isEmpty()) {
            throw new IllegalStateException(profile.name() + " did not register:\n" + seen);
        }
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (reader.readLine() != null) {
                    // discard
                }
            } catch (IOException ignored) {
                // gone
            }
        });
        return r;
    }

    private static String document(DatabaseSettings db, Path dir, boolean fast) {
        URI u = URI.create(db.url().substring(5));
        Path passwordFile = dir.resolve(EmbeddedDatabase.PASSWORD_FILE).toAbsolutePath();
        String postgres = """
                [postgres]
                host = "%s"
                port = %d
                user = "postgres"
                password_file = "%s"
                sslmode = "disable"
                """.formatted(u.getHost(), u.getPort(), passwordFile);
        // "fast": every collector every 5 s; otherwise the schema's defaults.
        return fast ? """
                [collector]
                push_interval = 10
                """ + postgres + """
                [collectors.pg_stats]
                interval = 5
                [collectors.pg_connections]
                interval = 5
                [collectors.pg_locks]
                enabled = true
                interval = 5
                [collectors.sysstat]
                interval = 5
                [collectors.disk_usage]
                interval = 30
                """ : postgres;
    }

    /** Proportional set size in MiB (shared pages divided among the processes mapping them). */
    private static double pssMiB(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (l.startsWith("Pss:")) {
                return Long.parseLong(l.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return -1;
    }

    private static String load() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}
