package io.pgfleet.bench.fleet;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.bench.BenchOptions;
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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./pgfleet bench samples}: a month of a fleet's samples written straight into the
 * partitioned samples table with {@code generate_series}, then the read path
 * {@code GET /api/v1/collectors/{id}/metrics} timed through a real server process on it: first
 * pages, and the page a client reads on to through a first page's {@code next}.
 *
 * <pre>./pgfleet bench samples [--agents 500] [--days 30] [--series 12] [--every-seconds 300] [--reads 30]</pre>
 */
public final class SampleReadBenchmark {

    private static final String PASSWORD = "samples-admin-password";

    private SampleReadBenchmark() {
    }

    /**
     * Runs.
     *
     * @param args the options above, plus {@code --server-jar PATH} and {@code --out DIR}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Options o = BenchOptions.parse(new Options(), args);
        int agents = o.agents;
        int days = o.days;
        int series = o.series;
        int every = o.every;
        int reads = o.reads;
        Path jar = o.jar;
        Path out = o.out;
        Path dir = Files.createTempDirectory("pgfleet-samples");
        Files.createDirectories(out);
        EmbeddedDatabase pg = EmbeddedDatabase.start(dir.resolve("db"));
        DatabaseSettings db = pg.settings(8);
        Map<String, String> env = Map.of("PGFLEET_DB_URL", db.url(), "PGFLEET_DB_USER", db.user(),
                "PGFLEET_DB_PASSWORD", db.password(), "PGFLEET_ADMIN_PASSWORD", PASSWORD,
                "PGFLEET_REGISTRATION_SECRET", "samples-registration-secret",
                // The generated month must outlive the run: retention would drop its older half.
                "PGFLEET_RETENTION_SAMPLES_DAYS", Integer.toString(days + 7));
        Map<String, Object> facts = new LinkedHashMap<>();
        try (ServerTier tier = new ServerTier(jar, dir, out.resolve("samples-server-logs"), 1, env, "384m")) {
            tier.startAll();
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            long rows;
            long generateMillis;
            try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
                 Statement s = c.createStatement()) {
                s.execute("INSERT INTO collectors (id, name, created_at) SELECT 'sim-' || a, 'sim-' || a, now()"
                        + " FROM generate_series(0, " + (agents - 1) + ") a");
                LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
                long t0 = System.nanoTime();
                for (int d = days - 1; d >= 0; d--) {
                    LocalDate day = today.minusDays(d);
                    s.execute("SELECT pgfleet_create_sample_partition('" + day + "')");
                    Instant from = day.atStartOfDay().toInstant(ZoneOffset.UTC);
                    Instant to = d == 0 ? now : from.plus(Duration.ofDays(1));
                    // One statement per day straight into the day's partition: series names with
                    // labels as the agent sends them, one value per series and interval.
                    s.execute("""
                            INSERT INTO samples_%s (collector_id, batch_id, name, labels, value, ts)
                            SELECT 'sim-' || a, 'generated', 'metric_' || m, jsonb_build_object('datname', 'app'),
                                   random() * 1000, t
                            FROM generate_series(0, %d) a, generate_series(0, %d) m,
                                 generate_series('%s'::timestamptz, '%s'::timestamptz - interval '1 second',
                                                 interval '%d seconds') t""".formatted(
                            day.toString().replace("-", ""), agents - 1, series - 1, from, to, every));
                    FleetSimulation.say("generated " + day);
                }
                generateMillis = (System.nanoTime() - t0) / 1_000_000;
                s.execute("ANALYZE samples");
                try (ResultSet rs = s.executeQuery("SELECT count(*), pg_total_relation_size('samples') "
                        + "+ coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                        + " WHERE inhparent = 'samples'::regclass), 0) FROM samples")) {
                    rs.next();
                    rows = rs.getLong(1);
                    facts.put("samples_table_size_mib", rs.getLong(2) / 1048576);
                }
            }
            facts.put("agents", agents);
            facts.put("days", days);
            facts.put("series_per_agent", series);
            facts.put("seconds_between_samples", every);
            facts.put("rows", rows);
            facts.put("generation_seconds", generateMillis / 1000.0);
            facts.put("generation_rows_per_second", rows * 1000 / Math.max(1, generateMillis));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI base = tier.uri(0);
            String token = login(http, base);
            Random random = new Random(7);
            Map<String, String> queries = new LinkedHashMap<>();
            queries.put("one series, last hour", "?name=metric_1&since=" + enc(now.minus(Duration.ofHours(1))));
            queries.put("one series, last day (limit 1000)", "?name=metric_2&since=" + enc(now.minus(Duration.ofDays(1))));
            queries.put("all series, last hour", "?since=" + enc(now.minus(Duration.ofHours(1))));
            queries.put("all series, from the start (limit 1000)", "");
            // The page a client reads next, through the first page's next (a cursor): the first is not timed.
            queries.put("all series, the second page (after=, limit 1000)", NEXT_OF_FIRST);
            List<Map<String, Object>> results = new ArrayList<>();
            for (Map.Entry<String, String> q : queries.entrySet()) {
                List<Double> ms = new ArrayList<>();
                int status = 0;
                for (int i = 0; i < reads; i++) {
                    String id = "sim-" + random.nextInt(agents);
                    String path = "/api/v1/collectors/" + id + "/metrics" + q.getValue();
                    if (q.getValue().equals(NEXT_OF_FIRST)) {
                        path = nextOf(http.send(HttpRequest.newBuilder(base.resolve("/api/v1/collectors/" + id + "/metrics"))
                                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(120)).GET().build(),
                                HttpResponse.BodyHandlers.ofString()).body());
                    }
                    long t = System.nanoTime();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path))
                            .header("Authorization", "Bearer " + token)
                            .timeout(Duration.ofSeconds(120)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    ms.add((System.nanoTime() - t) / 1e6);
                    if (r.statusCode() != 200 && status != r.statusCode()) {
                        FleetSimulation.say(q.getKey() + " answered " + r.statusCode() + ": " + r.body());
                    }
                    status = r.statusCode();
                }
                Collections.sort(ms);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("read", q.getKey());
                m.put("status", status);
                m.put("p50_ms", Math.round(ms.get(ms.size() / 2) * 10) / 10.0);
                m.put("p95_ms", Math.round(ms.get((int) Math.ceil(ms.size() * 0.95) - 1) * 10) / 10.0);
                m.put("max_ms", Math.round(ms.get(ms.size() - 1) * 10) / 10.0);
                results.add(m);
                FleetSimulation.say(q.getKey() + ": " + m);
            }
            facts.put("reads", results);
            facts.put("machine", Runtime.getRuntime().availableProcessors() + " CPUs, load average "
                    + Files.readString(Path.of("/proc/loadavg")).trim() + " (shared with other work)");
        } finally {
            pg.close();
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        StringBuilder md = new StringBuilder("## Sample reads on a generated month\n\n| figure | value |\n|---|---|\n");
        facts.forEach((k, v) -> {
            if (!k.equals("reads")) {
                md.append("| ").append(k).append(" | ").append(v).append(" |\n");
            }
        });
        md.append("\n| read | status | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|\n");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rs = (List<Map<String, Object>>) facts.get("reads");
        for (Map<String, Object> m : rs) {
            md.append("| ").append(m.get("read")).append(" | ").append(m.get("status")).append(" | ").append(m.get("p50_ms"))
                    .append(" | ").append(m.get("p95_ms")).append(" | ").append(m.get("max_ms")).append(" |\n");
        }
        Files.writeString(out.resolve("samples-read.md"), md.toString());
        Files.writeString(out.resolve("samples-read.json"), json(facts));
        System.out.println(md);
    }

    /** The options, with their defaults. */
    private static final class Options {
        @Option(names = "--agents")
        int agents = 500;
        @Option(names = "--days")
        int days = 30;
        @Option(names = "--series")
        int series = 12;
        @Option(names = "--every-seconds")
        int every = 300;
        @Option(names = "--reads")
        int reads = 30;
        @Option(names = "--server-jar", required = true)
        Path jar;
        @Option(names = "--out")
        Path out = Path.of("target", "fleet");
    }

    private static String json(Object v) {
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            m.forEach((k, x) -> b.append(b.length() > 1 ? "," : "").append(json(k)).append(':').append(json(x)));
            return b.append('}').toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            l.forEach(x -> b.append(b.length() > 1 ? "," : "").append(json(x)));
            return b.append(']').toString();
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return "\"" + String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Stands for "the next page of the first page of every series", which takes a read to know. */
    private static final String NEXT_OF_FIRST = "?next-of-the-first-page";

    /** The {@code next} of an answer (a path with its cursor). */
    private static String nextOf(String body) {
        Matcher m = Pattern.compile("\"next\"\\s*:\\s*\"([^\"]+)\"").matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("the first page has no next page: " + body.substring(0, Math.min(200, body.length())));
        }
        return m.group(1);
    }

    private static String enc(Instant t) {
        return java.net.URLEncoder.encode(t.toString(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String login(HttpClient http, URI base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"" + PASSWORD + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
        if (!m.find()) {
            throw new IllegalStateException("login answered " + r.statusCode());
        }
        return m.group(1);
    }
}
