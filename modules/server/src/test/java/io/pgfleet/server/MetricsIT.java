package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an SRE scrapes at /observe/metrics, after real calls, checked by Prometheus' own promtool. */
class MetricsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static ApiClient admin;
    private static ApiClient agent;
    private static String id;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
        agent = registered("metrics-a");
        id = idOf(agent);
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml()).statusCode());
        // Reported before any test scrapes: the fleet gauges are a snapshot read at most every 15 s.
        assertEquals(204, agent.postJson("/api/v1/collectors/" + id + "/status", "{\"version\": 1, \"status\": \"FAILED\", "
                + "\"error\": \"password file missing\", \"effective_sha256\": \"" + "b".repeat(64) + "\"}").statusCode());
    }

    private static String scrape() {
        HttpResponse<String> m = new ApiClient(SERVER.port()).get("/observe/metrics");
        assertEquals(200, m.statusCode());
        return m.body();
    }

    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.E+-]+)$").matcher(text);
        assertTrue(m.find(), "no " + series + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    private static ApiClient registered(String name) {
        return ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"" + name + "\"}");
    }

    private static String idOf(ApiClient collector) {
        return collector.subject();
    }

    @Test
    void theScrapePassesPromtoolAndCountsWhatHappened() throws Exception {
        // Anyone who may NOTIFY on the database can send anything on the lag channel: it is ignored,
        // and the LISTEN thread goes on hearing the publishes below.
        long heard = System.nanoTime() + 20_000_000_000L;
        while (value(scrape(), "pgfleet_listen_notification_lag_seconds_count") < 1) {
            assertTrue(System.nanoTime() < heard, "the publish of start() was never heard");
            Thread.sleep(20);
        }
        double lagsBefore = value(scrape(), "pgfleet_listen_notification_lag_seconds_count");
        try (java.sql.Connection c = SERVER.database().connect(); java.sql.Statement s = c.createStatement()) {
            s.execute("SELECT pg_notify('pgfleet_sent_at', 'x'), pg_notify('pgfleet_sent_at', '9223372036854775807')");
        }
        // A watcher held open is answered by the next publish: that is the propagation histogram.
        CompletableFuture<HttpResponse<String>> watch = CompletableFuture.supplyAsync(
                () -> agent.get("/api/v1/config/" + id + "?after=1&wait=60"));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (value(scrape(), "pgfleet_watches_held") < 1) {
            assertTrue(System.nanoTime() < deadline, "the watch was never held");
            Thread.sleep(20);
        }
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml()).statusCode());
        assertEquals(200, watch.get().statusCode());
        assertEquals(201, admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 1}").statusCode());
        assertEquals(401, new ApiClient(SERVER.port()).login("admin", "wrong password").statusCode());
        assertEquals(404, admin.get("/api/v1/config/no-such-collector").statusCode());
        assertEquals(400, admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": \"x\"}").statusCode());
        assertEquals(200, admin.send(admin.request("/api/v1/config/validate").header("Content-Type", "application/toml")
                .POST(HttpRequest.BodyPublishers.ofString(aDocument().toml()))).statusCode());

        String text = scrape();
        assertTrue(value(text, "pgfleet_publishes_total") >= 3, text);
        assertTrue(value(text, "pgfleet_rollbacks_total") >= 1, text);
        assertTrue(value(text, "pgfleet_apply_reports_total{status=\"FAILED\"}") >= 1, text);
        assertTrue(value(text, "pgfleet_logins_total{outcome=\"refused\"}") >= 1, text);
        assertTrue(value(text, "pgfleet_logins_total{outcome=\"issued\"}") >= 1, text);
        // Problems sent by a handler and those thrown to the error handlers are both counted by type.
        assertTrue(value(text, "pgfleet_http_problems_total{status=\"404\",type=\"collector-not-found\"}") >= 1, text);
        assertTrue(value(text, "pgfleet_http_problems_total{status=\"400\",type=\"bad-request\"}") >= 1, text);
        assertTrue(value(text, "pgfleet_http_request_duration_seconds_count{area=\"config\",method=\"POST\","
                + "route=\"/api/v1/config/{id}/rollback\",status=\"4xx\"}") >= 1, text);
        assertTrue(value(text, "pgfleet_http_request_duration_seconds_bucket{area=\"config\",method=\"PUT\","
                + "route=\"/api/v1/config/{id}\",status=\"2xx\",le=\"300.0\"}") >= 2, text);
        assertTrue(value(text, "pgfleet_publish_to_watch_answer_seconds_count") >= 1, text);
        assertTrue(value(text, "pgfleet_publish_to_watch_answer_seconds_bucket{le=\"30.0\"}") >= 1, text);
        assertTrue(value(text, "pgfleet_validation_seconds_count") >= 1, text);
        // The fleet snapshot was first read after the FAILED report of start(); the lag is measured on
        // the LISTEN thread, as the notifications arrive, and a timer counts an observation before it
        // files it in its bucket: a scrape may catch the last one counted and not yet in a bucket.
        long fleetDeadline = System.nanoTime() + 30_000_000_000L;
        while (value(text, "pgfleet_collectors_by_apply_status{status=\"FAILED\"}") < 1
                || value(text, "pgfleet_listen_notification_lag_seconds_count") < lagsBefore + 2
                || value(text, "pgfleet_listen_notification_lag_seconds_bucket{le=\"30.0\"}")
                < value(text, "pgfleet_listen_notification_lag_seconds_count")) {
            assertTrue(System.nanoTime() < fleetDeadline,
                    "the fleet gauges or the lag (at most 30 s each) never showed:\n" + text);
            Thread.sleep(200);
            text = scrape();
        }
        assertTrue(value(text, "pgfleet_collectors{state=\"out_of_sync\"}") >= 1, text);
        assertEquals(1, value(text, "pgfleet_fleet_query_up"), text);
        double age = value(text, "pgfleet_fleet_snapshot_age_seconds");
        assertTrue(age >= 0 && age <= 15, text);
        // Every publish above was also heard on this instance's LISTEN connection, its lag measured.
        assertTrue(value(text, "pgfleet_listen_notification_lag_seconds_bucket{le=\"30.0\"}") >= 3, text);
        assertEquals(1, value(text, "pgfleet_listen_connected"), text);
        assertTrue(value(text, "pgfleet_db_pool_connections{state=\"max\"}") >= 1, text);

        Optional<Path> promtool = Promtool.find();
        if (promtool.isPresent()) {
            Promtool.Run check = Promtool.run(promtool.get(), Optional.of(text), "check", "metrics");
            assertEquals(0, check.exit(), check.output() + "\n" + text);
            assertEquals("", check.output().strip(), "promtool reports problems:\n" + check.output());
        }
    }

    @Test
    void aScrapeOfNamedMetricsAnswersThoseFamiliesAlone() {
        HttpResponse<String> m = new ApiClient(SERVER.port())
                .get("/observe/metrics?name%5B%5D=pgfleet_watches_held&name%5B%5D=pgfleet_publishes_total");
        assertEquals(200, m.statusCode());
        List<String> families = m.body().lines().filter(l -> l.startsWith("# TYPE ")).map(l -> l.split(" ")[2]).sorted().toList();
        assertEquals(List.of("pgfleet_publishes_total", "pgfleet_watches_held"), families, m.body());
        assertTrue(value(m.body(), "pgfleet_publishes_total") >= 1, m.body());
        assertEquals(400, new ApiClient(SERVER.port()).get("/observe/metrics?name%5B%5D=bad%20name").statusCode());
    }

    @Test
    void aLayerPublishIsRecordedInTheLayerChangeHistograms() {
        // A group whose selector matches no collector: the publish is committed and timed, and no
        // other test's collector gets a new effective revision.
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\": \"metrics-nobody\", \"selector\":"
                + " {\"metrics\": \"nobody\"}, \"priority\": 1, \"description\": \"\"}").statusCode());
        double before = series(scrape(), "pgfleet_layer_change_seconds_count{phase=\"total\"}");
        assertEquals(201, admin.putToml("/api/v1/groups/metrics-nobody/config", "[collector]\nwatch = false\n")
                .statusCode());
        String text = scrape();
        assertEquals(before + 1, value(text, "pgfleet_layer_change_seconds_count{phase=\"total\"}"), text);
        for (String phase : List.of("locked", "read", "merged", "checked", "stored")) {
            assertTrue(value(text, "pgfleet_layer_change_seconds_count{phase=\"" + phase + "\"}") >= 1, text);
        }
        assertTrue(value(text, "pgfleet_layer_change_seconds_bucket{phase=\"total\",le=\"60.0\"}") >= 1, text);
        assertTrue(value(text, "pgfleet_layer_change_members_count") >= 1, text);
    }

    /** A series' value, 0 when the scrape does not have it yet. */
    private static double series(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.E+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** Every sample name of a scrape, and the histogram family names behind _bucket/_count/_sum. */
    private static Set<String> exportedNames(String text) {
        Set<String> names = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                names.add(line.split(" ")[2]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                names.add(line.split("[{ ]")[0]);
            }
        }
        return names;
    }

    private static Set<String> namesIn(String expressions) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:pgfleet|jvm|process|system)_[a-z0-9_]+)\\b").matcher(expressions);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    // Meters that appear on first use (a problem answered, a request timed) are made to appear first.
    private static Set<String> scraped() {
        assertEquals(404, admin.get("/api/v1/config/no-such-collector").statusCode());
        return exportedNames(scrape());
    }

    @Test
    void everyExpressionOfTheDashboardNamesAMetricTheServerExports() throws Exception {
        String json = Files.readString(PrometheusRulesTest.DEPLOY.resolve("grafana/pgfleet.json"));
        JsonObject dashboard = Json.createReader(new StringReader(json)).readObject();
        StringBuilder expressions = new StringBuilder();
        int count = 0;
        for (JsonValue p : dashboard.getJsonArray("panels")) {
            for (JsonValue t : p.asJsonObject().getJsonArray("targets")) {
                expressions.append(t.asJsonObject().getString("expr")).append('\n');
                count++;
            }
        }
        assertTrue(count >= 10, "the dashboard has its panels");
        Set<String> used = namesIn(expressions.toString());
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(scraped());
        assertTrue(missing.isEmpty(), "the dashboard queries metrics the server does not export: " + missing);
        assertTrue(used.containsAll(Set.of("pgfleet_collectors", "pgfleet_apply_reports_total", "pgfleet_publishes_total",
                "pgfleet_publish_to_watch_answer_seconds_bucket", "pgfleet_watches_held",
                "pgfleet_http_request_duration_seconds_bucket", "pgfleet_db_pool_connections")), used.toString());
    }

    @Test
    void everyAlertRuleNamesAMetricTheServerExports() throws Exception {
        String rules = Files.readString(PrometheusRulesTest.DEPLOY.resolve("prometheus/alerts.yml"));
        StringBuilder expressions = new StringBuilder();
        for (String line : rules.split("\n")) {
            if (!line.strip().startsWith("#")) {
                expressions.append(line).append('\n');
            }
        }
        Set<String> used = namesIn(expressions.toString());
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(scraped());
        assertTrue(missing.isEmpty(), "alert rules query metrics the server does not export: " + missing);
        assertTrue(used.size() >= 7, used.toString());
    }

    @Test
    void eachRequestIsLoggedOnceWithItsRequestIdWhichProblemsAndHeadersEcho() {
        java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.pgfleet.http.requests");
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try {
            HttpResponse<String> r = admin.get("/api/v1/config/no-such-collector", "X-Request-Id", "trace-17.a");
            assertEquals(404, r.statusCode());
            assertEquals("trace-17.a", r.headers().firstValue("X-Request-Id").orElse(""));
            assertTrue(r.body().contains("\"request_id\":\"trace-17.a\""), r.body());
            // An id that could not be logged or echoed safely is replaced, not trusted.
            HttpResponse<String> other = admin.get("/api/v1/config/no-such-collector", "X-Request-Id", "x".repeat(65));
            String made = other.headers().firstValue("X-Request-Id").orElse("");
            assertTrue(made.matches("[0-9a-f-]{36}"), made);
            assertTrue(other.body().contains("\"request_id\":\"" + made + "\""), other.body());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (lines.stream().noneMatch(l -> l.contains("request_id=" + made))
                    || lines.stream().noneMatch(l -> l.contains("request_id=trace-17.a"))) {
                assertTrue(System.nanoTime() < deadline, "no request line in " + lines);
                Thread.onSpinWait();
            }
            String line = lines.stream().filter(l -> l.contains("request_id=trace-17.a")).findFirst().orElseThrow();
            assertTrue(line.startsWith("GET /api/v1/config/{id} 404 ") && line.contains("principal=admin"), line);
        } finally {
            log.removeHandler(capture);
        }
    }
}
