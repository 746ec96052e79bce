package io.pgfleet.bench;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's footprint: every collector on, against a real PostgreSQL, for M minutes; reports
 * resident memory (max and at the end) and CPU use.
 */
public final class AgentFootprintBenchmark {

    private AgentFootprintBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --server-jar J --agent-jar A [--minutes M] [--agent-opts "…"] [--intervals fast|default]}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path serverJar = null;
        Path agentJar = null;
        int minutes = 5;
        // fast: every collector every 5 s, push every 10 s; default: the published defaults.
        boolean fast = true;
        String opts = "-Xmx16m -Xss256k -XX:ReservedCodeCacheSize=8m -XX:MaxMetaspaceSize=40m -XX:+UseSerialGC -Xint -XX:-UsePerfData -XX:+IgnoreUnrecognizedVMOptions -XX:+UseCompactObjectHeaders -XX:MaxDirectMemorySize=8m";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--server-jar" -> serverJar = Path.of(args[++i]);
                case "--agent-jar" -> agentJar = Path.of(args[++i]);
                case "--minutes" -> minutes = Integer.parseInt(args[++i]);
                case "--agent-opts" -> opts = args[++i];
                case "--intervals" -> fast = switch (args[++i]) {
                    case "fast" -> true;
                    case "default" -> false;
                    default -> throw new IllegalArgumentException("--intervals fast|default");
                };
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        Path dir = Files.createTempDirectory("pgfleet-agent-bench");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir)) {
            DatabaseSettings db = pg.settings(8);
            Process server = Proc.start(List.of(java, "-Xmx256m", "-jar", serverJar.toString()),
                    Map.of("PGFLEET_DB_URL", db.url(), "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password(),
                            "PGFLEET_PORT", "19200",
                            "PGFLEET_HOST", "127.0.0.1", "PGFLEET_ADMIN_PASSWORD", "bench-admin-password",
                            "PGFLEET_REGISTRATION_SECRET", "bench-registration-secret",
                            "PGFLEET_DATA_DIR", dir.resolve("server").toString()),
                    Pattern.compile("pgfleet server ready"), "server");
            Files.writeString(dir.resolve("secret"), "bench-registration-secret");
            Files.writeString(dir.resolve("agent.toml"), """
                    server_url = "http://127.0.0.1:19200"
                    registration_secret_file = "secret"
                    state_dir = "agent-state"
                    # the embedded database's password file lives in the benchmark's own directory
                    allowed_password_dirs = ["."]
                    """);
            List<String> cmd = new java.util.ArrayList<>(List.of(java));
            cmd.addAll(List.of(opts.split(" ")));
            cmd.addAll(List.of("-jar", agentJar.toString(), "--config", dir.resolve("agent.toml").toString()));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Process agent = pb.start();
            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(agent.getInputStream()));
            String id = null;
            String line;
            while ((line = reader.readLine()) != null) {
                Matcher m = Pattern.compile("registered as collector (\\S+)").matcher(line);
                if (m.find()) {
                    id = m.group(1);
                    break;
                }
            }
            var r0 = reader;
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (r0.readLine() != null) {
                        // discard
                    }
                } catch (Exception ignored) {
                    // gone
                }
            });
            HttpClient http = HttpClient.newHttpClient();
            String token = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:19200/api/v1/auth/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"bench-admin-password\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
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
            String doc = fast ? """
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
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:19200/api/v1/config/" + id))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/toml")
                    .PUT(HttpRequest.BodyPublishers.ofString(doc)).build(), HttpResponse.BodyHandlers.ofString());
            long pid = agent.pid();
            double maxRss = 0;
            double cpu0 = Proc.cpuSeconds(pid);
            long t0 = System.nanoTime();
            double cpuAfterWarmup = 0;
            long tWarm = 0;
            for (int s = 0; s < minutes * 6; s++) {
                Thread.sleep(10_000);
                double rss = Proc.rssMiB(pid);
                maxRss = Math.max(maxRss, rss);
                if (s == 5) {
                    cpuAfterWarmup = Proc.cpuSeconds(pid);
                    tWarm = System.nanoTime();
                }
                System.out.printf("t=%3d s  agent RSS %.1f MiB%n", (s + 1) * 10, rss);
            }
            double finalRss = Proc.rssMiB(pid);
            double cpuTotal = Proc.cpuSeconds(pid) - cpu0;
            double wall = (System.nanoTime() - t0) / 1e9;
            double steady = tWarm == 0 ? 0 : (Proc.cpuSeconds(pid) - cpuAfterWarmup) / ((System.nanoTime() - tWarm) / 1e9);
            System.out.println();
            System.out.println("| minutes | agent JVM options | RSS max MiB | RSS at end MiB | CPU whole run | CPU after the first minute |");
            System.out.println("|---|---|---|---|---|---|");
            System.out.printf("| %d | `%s` | %.1f | %.1f | %.2f %% | %.2f %% |%n", minutes, opts, maxRss, finalRss,
                    100 * cpuTotal / wall, 100 * steady);
            System.out.println("(" + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                    + Runtime.version() + (fast ? ", collectors: all five on, 5 s intervals, push every 10 s)"
                    : ", the published defaults: pg_stats 60 s, pg_connections 30 s, sysstat 30 s, disk_usage 300 s, push 60 s)"));
            agent.destroy();
            agent.waitFor(20, TimeUnit.SECONDS);
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
