package io.pgfleet.server;

import io.pgfleet.testing.ConfigCorpus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Validation before accept, history, diff, rollback and audit, over HTTP against real PostgreSQL. */
class ConfigLifecycleIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final AtomicInteger IDS = new AtomicInteger();
    private static ApiClient api;

    static final List<ConfigCorpus.Invalid> invalidDocuments = ConfigCorpus.INVALID;
    static final List<String> validDocuments = ConfigCorpus.VALID;

    @BeforeAll
    static void start() {
        api = ApiClient.asAdmin(SERVER.port());
    }


    private static String newCollector() {
        String id = "lc-" + IDS.incrementAndGet();
        assertEquals(201, api.createCollector(id).statusCode());
        return id;
    }

    private static int count(String sql) throws SQLException {
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int revisions(String id) throws SQLException {
        return count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'");
    }

    private static int auditRows(String id) throws SQLException {
        return count("SELECT count(*) FROM audit_log WHERE collector_id = '" + id + "'");
    }

    private static List<Integer> errorLines(String body) {
        List<Integer> lines = new ArrayList<>();
        Matcher m = Pattern.compile("\"line\":(\\d+)").matcher(body);
        while (m.find()) {
            lines.add(Integer.parseInt(m.group(1)));
        }
        return lines;
    }

    private static HttpResponse<String> validate(String toml) {
        return api.send(api.request("/api/v1/config/validate").header("Content-Type", "application/toml")
                .POST(HttpRequest.BodyPublishers.ofString(toml)));
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("invalidDocuments")
    void refusesEveryInvalidDocumentWith422AndTheRightLinesAndStoresNothing(ConfigCorpus.Invalid c) throws SQLException {
        String id = newCollector();
        HttpResponse<String> put = api.putToml("/api/v1/config/" + id, c.toml());
        assertEquals(422, put.statusCode(), put.body());
        assertEquals("application/problem+json", put.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(c.expectedLines(), errorLines(put.body()), put.body());
        assertTrue(put.body().contains("\"key\":\"" + c.expectedKey() + "\""), put.body());
        assertTrue(put.body().contains("\"column\":"), put.body());
        assertEquals(0, revisions(id));
        assertEquals(1, auditRows(id), "only the collector's creation is audited");

        HttpResponse<String> dryRun = validate(c.toml());
        assertEquals(422, dryRun.statusCode());
        assertEquals(c.expectedLines(), errorLines(dryRun.body()));
    }

    @ParameterizedTest
    @FieldSource("validDocuments")
    void acceptsEveryValidDocument(String toml) {
        String id = newCollector();
        assertEquals(200, validate(toml).statusCode());
        assertEquals(201, api.putToml("/api/v1/config/" + id, toml).statusCode());
    }

    @Test
    void dryRunStoresNothingAndReportsTheEffectiveConfiguration() throws SQLException {
        int before = count("SELECT count(*) FROM config_revisions") + count("SELECT count(*) FROM audit_log");
        HttpResponse<String> r = validate("[collectors.pg_stats]\ninterval = 2\n");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"valid\":true"));
        assertTrue(r.body().contains("collectors.pg_stats.interval = 2"), r.body());
        assertTrue(r.body().contains("collectors.pg_locks.enabled = false"), "defaults are filled in: " + r.body());
        assertEquals(before, count("SELECT count(*) FROM config_revisions") + count("SELECT count(*) FROM audit_log"));
    }

    @Test
    void rollbackRoundTrip() {
        String id = newCollector();
        String v1 = aDocument().pushInterval(10).pgStatsInterval(60).toml();
        String v2 = aDocument().pushInterval(20).pgStatsInterval(60).toml();
        String v3 = aDocument().pushInterval(30).pgStatsInterval(5).toml();
        api.putToml("/api/v1/config/" + id, v1);
        api.putToml("/api/v1/config/" + id, v2);
        String v3Tag = api.putToml("/api/v1/config/" + id, v3).headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> rb = api.send(api.request("/api/v1/config/" + id + "/rollback")
                .header("Content-Type", "application/json").header("If-Match", v3Tag)
                .POST(HttpRequest.BodyPublishers.ofString("{\"to_version\": 1, \"message\": \"back to the known good\"}")));
        assertEquals(201, rb.statusCode(), rb.body());
        assertTrue(rb.body().contains("\"version\":4"), rb.body());
        assertTrue(rb.body().contains("\"source\":\"rollback:1\""), rb.body());

        assertEquals(v1, api.get("/api/v1/config/" + id).body());
        assertEquals(v1, api.get("/api/v1/config/" + id + "/versions/4").body());

        HttpResponse<String> history = api.get("/api/v1/config/" + id + "/versions");
        assertEquals(200, history.statusCode());
        assertTrue(history.body().indexOf("\"version\":4") < history.body().indexOf("\"version\":3"), "newest first");
        assertTrue(history.body().contains("\"source\":\"rollback:1\""), history.body());
        assertTrue(history.body().contains("\"message\":\"back to the known good\""), history.body());

        String forward = api.get("/api/v1/config/" + id + "/diff?from=1&to=3").body();
        HttpResponse<String> backward = api.get("/api/v1/config/" + id + "/diff?from=3&to=4");
        assertEquals("text/x-diff; charset=utf-8", backward.headers().firstValue("Content-Type").orElseThrow());
        assertFalse(forward.isBlank());
        assertEquals(reversedChanges(forward), changes(backward.body()));
    }

    /** The +/- lines of a unified diff without its file headers. */
    private static List<String> changes(String diff) {
        return diff.lines().filter(l -> !l.startsWith("---") && !l.startsWith("+++"))
                .filter(l -> l.startsWith("+") || l.startsWith("-")).toList();
    }

    /** The +/- lines of the reverse diff: each block of changes with its signs swapped, removals first. */
    private static List<String> reversedChanges(String diff) {
        List<String> out = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (String l : diff.lines().filter(l -> !l.startsWith("---") && !l.startsWith("+++")).toList()) {
            if (l.startsWith("-")) {
                added.add("+" + l.substring(1));
            } else if (l.startsWith("+")) {
                removed.add("-" + l.substring(1));
            } else {
                out.addAll(removed);
                out.addAll(added);
                removed.clear();
                added.clear();
            }
        }
        out.addAll(removed);
        out.addAll(added);
        return out;
    }

    @Test
    void rollbackHonoursIfMatchAndRefusesUnknownVersions() throws SQLException {
        String id = newCollector();
        String v1Tag = api.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml())
                .headers().firstValue("ETag").orElseThrow();
        api.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml());
        int audits = auditRows(id);

        HttpResponse<String> stale = api.send(api.request("/api/v1/config/" + id + "/rollback")
                .header("Content-Type", "application/json").header("If-Match", v1Tag)
                .POST(HttpRequest.BodyPublishers.ofString("{\"to_version\": 1}")));
        assertEquals(412, stale.statusCode(), stale.body());
        HttpResponse<String> missing = api.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 9}");
        assertEquals(404, missing.statusCode(), missing.body());
        assertEquals(400, api.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": \"one\"}").statusCode());
        assertEquals(2, revisions(id));
        assertEquals(audits, auditRows(id));

        HttpResponse<String> toLatest = api.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 2}");
        assertEquals(200, toLatest.statusCode(), "rolling back to the latest document changes nothing");
        assertEquals(2, revisions(id));
    }

    @Test
    void everyWriteLeavesExactlyOneAuditRowAndFailedWritesNone() throws SQLException {
        String id = newCollector();
        assertEquals(1, auditRows(id));
        String tag = api.putToml("/api/v1/config/" + id, aDocument().pushInterval(1).toml(),
                "X-Change-Message", "first").headers().firstValue("ETag").orElseThrow();
        assertEquals(2, auditRows(id));
        api.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml());
        assertEquals(3, auditRows(id));
        assertEquals(200, api.putToml("/api/v1/config/" + id, aDocument().pushInterval(2).toml()).statusCode());
        assertEquals(3, auditRows(id), "an identical re-publish writes nothing");
        assertEquals(412, api.putToml("/api/v1/config/" + id, aDocument().pushInterval(3).toml(), "If-Match", tag).statusCode());
        assertEquals(422, api.putToml("/api/v1/config/" + id, "[collector]\nwatch = 1\n").statusCode());
        assertEquals(3, auditRows(id));
        assertEquals(201, api.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 1}").statusCode());
        assertEquals(4, auditRows(id));

        HttpResponse<String> trail = api.get("/api/v1/audit?collector_id=" + id);
        assertEquals(200, trail.statusCode());
        String body = trail.body();
        assertTrue(body.indexOf("config.rollback") < body.indexOf("config.publish"), "newest first: " + body);
        assertTrue(body.contains("\"action\":\"collector.create\""), body);
        assertTrue(body.contains("\"address\":\"127.0.0.1\""), body);
        assertTrue(body.contains("\"detail\":\"first\""), body);
        assertTrue(body.contains("\"version\":3"), body);

        String onlyRollbacks = api.get("/api/v1/audit?collector_id=" + id + "&action=config.rollback").body();
        assertEquals(1, onlyRollbacks.split("\"action\"").length - 1, onlyRollbacks);
        assertEquals(400, api.get("/api/v1/audit?action=config.delete").statusCode());
        assertEquals(400, api.get("/api/v1/audit?since=yesterday").statusCode());
        assertEquals(400, api.get("/api/v1/audit?limit=0").statusCode());
    }

    @Test
    void historyIsPagedNewestFirst() {
        String id = newCollector();
        for (int i = 1; i <= 5; i++) {
            api.putToml("/api/v1/config/" + id, aDocument().pushInterval(i).toml());
        }
        HttpResponse<String> first = api.get("/api/v1/config/" + id + "/versions?limit=2");
        assertTrue(first.body().contains("\"version\":5") && first.body().contains("\"version\":4"), first.body());
        assertFalse(first.body().contains("\"version\":3"));
        assertTrue(first.body().contains("\"next\":\"/api/v1/config/" + id + "/versions?limit=2&before=4\""), first.body());
        HttpResponse<String> last = api.get("/api/v1/config/" + id + "/versions?limit=2&before=2");
        assertTrue(last.body().contains("\"version\":1") && last.body().contains("\"next\":null"), last.body());
        assertEquals(404, api.get("/api/v1/config/nobody/versions").statusCode());
        assertEquals(400, api.get("/api/v1/config/" + id + "/versions?limit=100000").statusCode());
        assertEquals(400, api.get("/api/v1/config/" + id + "/diff?from=1").statusCode());
        assertEquals(404, api.get("/api/v1/config/" + id + "/diff?from=1&to=99").statusCode());
    }

    @Test
    void documentsAreGzippedWhenTheClientAsks() throws IOException {
        String id = newCollector();
        String doc = ConfigCorpus.SPEC_EXAMPLE;
        api.putToml("/api/v1/config/" + id, doc);
        HttpResponse<byte[]> zipped;
        try {
            zipped = java.net.http.HttpClient.newHttpClient().send(api.request("/api/v1/config/" + id)
                    .header("Accept-Encoding", "gzip").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(""));
        assertTrue(zipped.body().length < doc.length());
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
            assertEquals(doc, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        HttpResponse<String> plain = api.get("/api/v1/config/" + id);
        assertTrue(plain.headers().firstValue("Content-Encoding").isEmpty());
        assertEquals(doc, plain.body());
    }
}
