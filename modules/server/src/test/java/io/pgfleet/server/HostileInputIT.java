package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Input an attacker or a careless client sends: never a 5xx, always a problem that says what is
 * wrong, and nothing stored. Real HTTP on loopback, real PostgreSQL.
 */
class HostileInputIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final AtomicInteger IDS = new AtomicInteger();
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
    }


    private static String newCollector() {
        String id = "hostile-" + IDS.incrementAndGet();
        assertEquals(201, admin.createCollector(id).statusCode());
        return id;
    }

    /** A new collector with versions 1 and 2, so that there is something to roll back to. */
    private static String newCollectorWithTwoVersions() {
        String id = newCollector();
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(5).toml()).statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(6).toml()).statusCode());
        return id;
    }

    private static long count(String sql) throws SQLException {
        return SERVER.database().count(sql);
    }

    private static void assertProblem(HttpResponse<String> r, int status, String mentions) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), r.body());
        assertTrue(r.body().contains(mentions), "the problem names " + mentions + ": " + r.body());
    }

    private static ApiClient registeredAgent() {
        return ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"hostile-agent-" + IDS.incrementAndGet() + "\"}");
    }

    private static String subjectOf(ApiClient c) {
        return c.subject();
    }

    private static HttpResponse<String> patchLabels(String id, String labelsJson) {
        return admin.send(admin.request("/api/v1/collectors/" + id).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\": " + labelsJson + "}")));
    }

    @Test
    void labelsACollectorCouldNotCarryAreRefusedAndStoredOnesNeverBreakTheFleetList() throws SQLException {
        String id = newCollector();
        assertEquals(200, patchLabels(id, "{\"env\": \"prod\"}").statusCode());
        long audit = count("SELECT count(*) FROM audit_log");

        // A control character (a newline, a terminal escape) or a value of 201..256 characters was
        // stored, after which every listing of the fleet answered 400 for that one collector.
        assertProblem(patchLabels(id, "{\"env\": \"prod\\n\\u001b[31mred\"}"), 400, "U+000A LINE FEED");
        assertProblem(patchLabels(id, "{\"env\": \"" + "p".repeat(250) + "\"}"), 400, "label value");
        assertEquals(1, count("SELECT count(*) FROM collectors WHERE id = '" + id + "' AND labels = '{\"env\": \"prod\"}'"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));

        // What an earlier release let a label change store still loads, with the fleet list and the collector.
        String stored = newCollector();
        try (java.sql.Connection c = SERVER.database().connect(); java.sql.Statement st = c.createStatement()) {
            st.execute("UPDATE collectors SET labels = jsonb_build_object('env', E'prod\\nred', 'long', repeat('v', 256))"
                    + " WHERE id = '" + stored + "'");
        }
        HttpResponse<String> list = admin.get("/api/v1/collectors?limit=500");
        assertEquals(200, list.statusCode(), list.body());
        assertTrue(list.body().contains(stored), list.body());
        assertEquals(200, patchLabels(stored, "{\"env\": \"prod\"}").statusCode(), "and can be put right");
    }

    @Test
    void registrationAndProvisioningHoldLabelsToTheRuleALabelChangeApplies() throws SQLException {
        long collectors = count("SELECT count(*) FROM collectors");
        long audit = count("SELECT count(*) FROM audit_log");
        String many = java.util.stream.IntStream.range(0, 33).mapToObj(i -> "\"k" + i + "\": \"v\"")
                .collect(java.util.stream.Collectors.joining(", ", "{", "}"));
        // A name no selector can express put the collector beyond every group; 33 labels were more
        // than a label change (or a selector) may carry, so the operator could not even put them right.
        for (String labels : java.util.List.of("{\"has space\": \"x\"}", "{\"-env\": \"prod\"}",
                "{\"env=prod\": \"x\"}", many)) {
            ApiClient agent = new ApiClient(SERVER.port());
            assertProblem(agent.send(agent.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                    .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"odd-labels\", \"labels\": " + labels + "}"))),
                    400, "label");
            assertProblem(admin.postJson("/api/v1/collectors", "{\"id\": \"odd-labels-" + IDS.incrementAndGet()
                    + "\", \"labels\": " + labels + "}"), 400, "label");
        }
        assertEquals(collectors, count("SELECT count(*) FROM collectors"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));
        ApiClient.registeredCollector(SERVER.port(), "odd-labels-ok", "{\"team/db.x_y-1\": \"a-b\"}");
    }

    @Test
    void aDocumentWithABidirectionalOverrideOrALineSeparatorIsRefusedWithItsPositionAndNothingIsStored() throws SQLException {
        String id = newCollectorWithTwoVersions();
        long versions = count("SELECT count(*) FROM config_revisions");
        long layers = count("SELECT count(*) FROM layer_revisions");
        long audit = count("SELECT count(*) FROM audit_log");
        String trojan = "# keep watching \u202e eslaf = hctaw\n[collector]\nwatch = true\n";
        // Many editors and terminals break the line at U+2028: "watch = false" shows as a line TOML never sees.
        String split = "[collector]\nwatch = true # keep\u2028watch = false\n";

        for (String path : java.util.List.of("/api/v1/config/" + id, "/api/v1/fleet/config")) {
            HttpResponse<String> r = admin.putToml(path, trojan);
            assertProblem(r, 422, "U+202E");
            assertTrue(r.body().contains("\"line\":1") && r.body().contains("\"column\":17"), r.body());
            HttpResponse<String> s = admin.putToml(path, split);
            assertProblem(s, 422, "U+2028 LINE SEPARATOR");
            assertTrue(s.body().contains("\"line\":2") && s.body().contains("\"column\":20"), s.body());
        }
        HttpResponse<String> dryRun = admin.send(admin.request("/api/v1/config/validate").header("Content-Type", "application/toml")
                .POST(HttpRequest.BodyPublishers.ofString(trojan)));
        assertTrue(dryRun.body().contains("U+202E"), "a dry run answers as the publish: " + dryRun.body());
        HttpResponse<String> splitDryRun = admin.send(admin.request("/api/v1/config/validate")
                .header("Content-Type", "application/toml").POST(HttpRequest.BodyPublishers.ofString(split)));
        assertTrue(splitDryRun.body().contains("U+2028"), splitDryRun.body());
        assertEquals(versions, count("SELECT count(*) FROM config_revisions"));
        assertEquals(layers, count("SELECT count(*) FROM layer_revisions"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));
    }

    @Test
    void aQueryParameterGivenTwiceIsRefusedRatherThanOneOfThemChosen() {
        String id = newCollector();
        // ?limit=1&limit=1000 read the first; a proxy or a filter that reads the last saw another request.
        assertProblem(admin.get("/api/v1/collectors?limit=1&limit=1000"), 400, "limit");
        assertProblem(admin.get("/api/v1/config/" + id + "/versions?limit=1&limit=2"), 400, "limit");
        assertProblem(admin.get("/api/v1/audit?since=2026-01-01T00:00:00Z&since=2026-02-01T00:00:00Z"), 400, "since");
        assertProblem(admin.get("/api/v1/collectors?selector=env=a&selector=env=b"), 400, "selector");
        assertEquals(200, admin.get("/api/v1/collectors?limit=1").statusCode());
    }

    @Test
    void aGroupDescriptionWithTerminalControlsBidiOverridesOrLineSeparatorsIsRefusedAndChangesNothing() throws SQLException {
        String group = "described-" + IDS.incrementAndGet();
        long audit = count("SELECT count(*) FROM audit_log");
        // Operators type descriptions; every console, CLI and script shows them to other operators.
        for (String bad : java.util.List.of("x\\u001b]0;owned\\u0007", "gpj\\u202eexe", "over\\rwritten", "c1\\u009b2J",
                "one\\u2028two", "para\\u2029graph")) {
            assertProblem(admin.postJson("/api/v1/groups", "{\"id\": \"" + group + "\", \"description\": \"" + bad + "\"}"),
                    400, "description");
        }
        assertEquals(0, count("SELECT count(*) FROM config_groups WHERE id = '" + group + "'"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));

        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\": \"" + group
                + "\", \"description\": \"line one\\nline two\\tand a tab, d\u00e9j\u00e0 vu\"}").statusCode());
        long created = count("SELECT count(*) FROM audit_log");
        assertProblem(admin.send(admin.request("/api/v1/groups/" + group).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"description\": \"x\\u001b[2J\"}"))), 400, "description");
        assertEquals(1, count("SELECT count(*) FROM config_groups WHERE id = '" + group + "' AND description = 'line one'"
                + " || chr(10) || 'line two' || chr(9) || 'and a tab, d\u00e9j\u00e0 vu'"));
        assertEquals(created, count("SELECT count(*) FROM audit_log"));
    }

    @Test
    void anAgentsFailureIsRecordedWhateverItsErrorHoldsWithTerminalControlsStoredEscaped() throws SQLException {
        ApiClient agent = registeredAgent();
        String self = subjectOf(agent);
        assertEquals(201, admin.putToml("/api/v1/config/" + self, aDocument().pushInterval(5).toml()).statusCode());
        // The agent's error quotes what it met on the host; refusing the report would lose the failure.
        assertEquals(204, agent.postJson("/api/v1/collectors/" + self + "/status", "{\"version\": 1, \"status\": \"FAILED\", "
                + "\"error\": \"disk\\u001b[2J full\\r\\nnext\\u202eline\\tend\\u2028\", \"effective_sha256\": \""
                + "b".repeat(64) + "\"}").statusCode());
        assertEquals(1, count("SELECT count(*) FROM collector_status WHERE collector_id = '" + self + "' AND last_status = 'FAILED'"
                + " AND last_error = 'disk\\u001b[2J full\\u000d' || chr(10) || 'next\\u202eline' || chr(9) || 'end\\u2028'"));
        HttpResponse<String> fleet = admin.get("/api/v1/collectors");
        assertTrue(fleet.body().contains("disk\\\\u001b[2J full\\\\u000d\\nnext\\\\u202eline\\tend\\\\u2028"), fleet.body());
    }

    @Test
    void nulCharactersAndInstantsOutsideTheDatabaseRangeAre400ProblemsNamingTheField() throws SQLException {
        String id = newCollectorWithTwoVersions();
        long audit = count("SELECT count(*) FROM audit_log");

        assertProblem(admin.postJson("/api/v1/config/" + id + "/rollback",
                "{\"to_version\": 1, \"message\": \"undo\\u0000now\"}"), 400, "message");
        assertEquals(2, count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));

        ApiClient agent = registeredAgent();
        String self = subjectOf(agent);
        assertProblem(agent.postJson("/api/v1/collectors/" + self + "/status", "{\"version\": 1, \"status\": \"FAILED\", "
                + "\"error\": \"disk\\u0000full\", \"effective_sha256\": \"" + "b".repeat(64) + "\"}"), 400, "error");
        assertProblem(agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"b-nul-000001\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"labels\": {\"db\": \"post\\u0000gres\"}, \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"}]}"),
                400, "labels");
        assertProblem(agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"b-far-000001\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"value\": 1, \"ts\": \"+300000-01-01T00:00:00Z\"}]}"), 400, "ts");
        // Samples are purged by their time: one dated years ahead would outlive every retention.
        assertProblem(agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"b-fut-000001\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"value\": 1, \"ts\": \"" + java.time.Instant.now() + "\"}, "
                + "{\"name\": \"pg_up\", \"value\": 1, \"ts\": \"9999-12-31T23:59:59Z\"}]}"), 422, "ahead of the server's clock");
        assertProblem(agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"b-num-000001\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"labels\": {\"db\": 1}, \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"}]}"),
                400, "labels");
        assertProblem(agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"b-arr-000001\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"labels\": [\"db\"], \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"}]}"),
                400, "labels");
        assertEquals(0, count("SELECT count(*) FROM samples WHERE collector_id = '" + self + "'"));
        assertEquals(0, count("SELECT count(*) FROM collector_status WHERE collector_id = '" + self + "'"));

        assertProblem(admin.get("/api/v1/collectors/" + self + "/metrics?since=%2B300000-01-01T00%3A00%3A00Z"), 400, "since");
        assertProblem(admin.get("/api/v1/audit?until=%2B300000-01-01T00%3A00%3A00Z"), 400, "until");
        assertProblem(admin.get("/api/v1/audit?since=-300000-01-01T00%3A00%3A00Z"), 400, "since");
        assertProblem(admin.postJson("/api/v1/collectors", "{\"name\": \"a\\u0000b\"}"), 400, "name");
        assertProblem(admin.get("/api/v1/audit?actor=a%00b"), 400, "actor");
        assertProblem(admin.putToml("/api/v1/config/" + id, "[collector]\n# a\u0000b\npush_interval = 7\n"), 400, "NUL");
        assertEquals(2, count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"));
    }

    @Test
    void ambiguousJsonIsA400AndNothingIsStored() throws SQLException {
        long collectors = count("SELECT count(*) FROM collectors");
        long audit = count("SELECT count(*) FROM audit_log");
        // Two values for one key: which one a proxy, a WAF or the console read is anyone's guess.
        assertProblem(admin.postJson("/api/v1/collectors", "{\"id\": \"dup-1\", \"id\": \"dup-2\"}"), 400, "the key 'id' is given twice");
        assertProblem(admin.postJson("/api/v1/collectors", "{\"id\": \"dup-3\", \"labels\": {\"env\": \"a\", \"env\": \"b\"}}"),
                400, "the key 'env' is given twice");
        // Anything after the object is not part of it: refused, not ignored.
        assertProblem(admin.postJson("/api/v1/collectors", "{\"id\": \"trail-1\"} {\"id\": \"trail-2\"}"), 400, "not valid JSON");
        assertProblem(admin.postJson("/api/v1/collectors", "{\"id\": \"trail-3\"}]"), 400, "not valid JSON");
        assertProblem(admin.postJson("/api/v1/collectors", "{\"id\": \"trail-4\"} x"), 400, "not valid JSON");
        assertEquals(collectors, count("SELECT count(*) FROM collectors"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));
        // Whitespace after the object is fine.
        assertEquals(201, admin.postJson("/api/v1/collectors", "{\"id\": \"trail-5\"}\r\n \n").statusCode());
    }

    @Test
    void aJsonBodyTheApiCannotReadIsSaidInTheApisOwnWordsWithWhereItWentWrong() throws SQLException {
        long groups = count("SELECT count(*) FROM config_groups");
        long audit = count("SELECT count(*) FROM audit_log");
        String longNumber = "1".repeat(100_000);
        HttpResponse<String> number = admin.postJson("/api/v1/groups", "{\"id\": \"long-number\",\n \"priority\": " + longNumber + "}");
        assertProblem(number, 400, "a number of 100000 characters at line 2, column 14");
        assertTrue(number.body().contains("at most 100 characters"), number.body());
        String tooDeep = "{\"selector\": " + "[".repeat(40) + "]".repeat(40) + "}";
        assertProblem(admin.postJson("/api/v1/groups", tooDeep), 400, "deeper than 32 levels (at line 1, column 45)");
        assertProblem(admin.postJson("/api/v1/groups", "{\"id\": \"x\",\n\"priority\": }"), 400, "not valid JSON at line 2");
        assertProblem(admin.postJson("/api/v1/groups", "{\"id\": \"x\", \"priority\": 1"), 400, "ends before its JSON is complete");
        for (HttpResponse<String> r : java.util.List.of(number, admin.postJson("/api/v1/groups", tooDeep),
                admin.postJson("/api/v1/groups", "{\"id\": \"x\",\n\"priority\": }"),
                admin.postJson("/api/v1/groups", "{\"id\": \"x\" \"priority\": 1}"),
                admin.postJson("/api/v1/collectors", "{\"id\": \"a\", \"id\": \"b\"}"))) {
            // Nothing of the parser: its classes, tokens, internal bounds or messages.
            for (String internal : new String[] {"BigDecimal", "1100", "token", "Exception", "Parsson", "line no=", "Duplicate key"}) {
                assertTrue(!r.body().contains(internal), internal + " in " + r.body());
            }
        }
        // A long number the API has a place for still fits, written as long as a client may write it.
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\": \"fits\", \"priority\": 1" + "0".repeat(5) + ".0"
                + "0".repeat(90) + "}").statusCode());
        assertEquals(groups + 1, count("SELECT count(*) FROM config_groups"));
        assertEquals(audit + 1, count("SELECT count(*) FROM audit_log"));
    }

    @Test
    void anEmptyBodyWhereAJsonObjectIsTakenIsRefusedAsSuchWhileOptionalBodiesStayOptional() throws SQLException {
        String id = newCollectorWithTwoVersions();
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\": \"empty-body\"}").statusCode());
        long groups = count("SELECT count(*) FROM config_groups");
        long collectors = count("SELECT count(*) FROM collectors");
        long audit = count("SELECT count(*) FROM audit_log");
        java.util.List<HttpResponse<String>> refused = java.util.List.of(
                admin.postJson("/api/v1/groups", ""),
                admin.postJson("/api/v1/groups", " \r\n"),
                admin.send(admin.request("/api/v1/groups/empty-body").header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())),
                admin.postJson("/api/v1/collectors", ""),
                admin.send(admin.request("/api/v1/collectors/" + id).header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.noBody())),
                admin.postJson("/api/v1/config/" + id + "/rollback", ""),
                admin.postJson("/api/v1/fleet/config/rollback", ""),
                admin.postJson("/api/v1/users", ""),
                admin.postJson("/api/v1/rollouts", ""),
                new ApiClient(SERVER.port()).postJson("/api/v1/auth/login", ""));
        for (HttpResponse<String> r : refused) {
            assertProblem(r, 400, "the body is empty: this route takes a JSON object");
            assertTrue(!r.body().contains("is required"), r.body());
        }
        assertEquals(groups, count("SELECT count(*) FROM config_groups"));
        assertEquals(collectors, count("SELECT count(*) FROM collectors"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));
        // Routes that take no body (docs/api.md) still take an empty one.
        assertEquals(201, admin.postJson("/api/v1/collectors/" + id + "/enrolment-token", "").statusCode());
        assertEquals(204, admin.postJson("/api/v1/collectors/" + id + "/revoke", "").statusCode());
    }

    @Test
    void integersBeyondTheirRangeAreRefusedNotWrappedAround() throws SQLException {
        String id = newCollectorWithTwoVersions();
        long audit = count("SELECT count(*) FROM audit_log");
        String twoTo64Plus = "1844674407370955161"; // + a digit: 2^64 + (digit - 6), whose low 64 bits are small

        assertProblem(admin.postJson("/api/v1/groups", "{\"id\": \"wrap\", \"selector\": {\"env\": \"x\"}, \"priority\": "
                + twoTo64Plus + "9}"), 400, "priority");
        assertEquals(0, count("SELECT count(*) FROM config_groups WHERE id = 'wrap'"));
        // 2^64 + 1 is not version 1 (which would be published again as version 3).
        assertProblem(admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": " + twoTo64Plus + "7}"), 400, "to_version");
        assertProblem(admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": -" + twoTo64Plus + "5}"), 400, "to_version");
        assertEquals(2, count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));

        ApiClient agent = registeredAgent();
        String self = subjectOf(agent);
        assertProblem(agent.postJson("/api/v1/collectors/" + self + "/status", "{\"version\": " + twoTo64Plus + "7, "
                + "\"status\": \"APPLIED\", \"effective_sha256\": \"" + "b".repeat(64) + "\"}"), 400, "version");
        assertEquals(0, count("SELECT count(*) FROM collector_status WHERE collector_id = '" + self + "'"));
    }

    @Test
    void unpairedSurrogatesInJsonStringsAre400NotStoredAsQuestionMarks() throws SQLException {
        String id = newCollectorWithTwoVersions();
        long audit = count("SELECT count(*) FROM audit_log");

        assertProblem(admin.send(admin.request("/api/v1/collectors/" + id).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\": {\"env\": \"pr\\ud800od\"}}"))), 400, "labels.env");
        assertProblem(admin.postJson("/api/v1/groups", "{\"id\": \"surrogate\", \"selector\": {\"env\": \"\\udfff\"}}"),
                400, "selector.env");
        assertProblem(admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 1, \"message\": \"undo \\ud83d\"}"),
                400, "message");
        assertEquals(0, count("SELECT count(*) FROM config_groups WHERE id = 'surrogate'"));
        assertEquals(2, count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"));
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));

        ApiClient agent = registeredAgent();
        String self = subjectOf(agent);
        assertProblem(agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"b-sur-000001\", \"samples\": ["
                + "{\"name\": \"pg_up\", \"labels\": {\"d\\udc00b\": \"x\"}, \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"}]}"),
                400, "key");
        assertEquals(0, count("SELECT count(*) FROM samples WHERE collector_id = '" + self + "'"));

        // A pair is a character like any other (where any character may go: not in a label value).
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\": \"rocket\", \"description\": \"\\ud83d\\ude80\"}")
                .statusCode());
    }

    @Test
    void samplesOfTheEarliestAcceptedYearsAreReadBackAtTheInstantTheyWereMeasured() throws SQLException {
        ApiClient agent = registeredAgent();
        String self = subjectOf(agent);
        // Before 1582-10-15 the JDBC driver's java.sql.Timestamp counts days in the Julian calendar.
        String[] instants = {"0001-01-01T00:00:00Z", "1000-03-01T06:30:00Z", "1582-10-04T23:59:59.5Z", "1582-10-15T00:00:00Z",
            "2026-11-29T10:00:00Z"};
        StringBuilder samples = new StringBuilder();
        for (String ts : instants) {
            samples.append(samples.isEmpty() ? "" : ", ").append("{\"name\": \"pg_up\", \"labels\": {}, \"value\": 1, \"ts\": \"").append(ts).append("\"}");
        }
        HttpResponse<String> push = agent.postJson("/api/v1/metrics/push", "{\"batch_id\": \"b-old-000001\", \"samples\": ["
                + samples + "]}");
        assertEquals(202, push.statusCode(), push.body());
        for (String ts : instants) {
            assertEquals(1, count("SELECT count(*) FROM samples WHERE collector_id = '" + self + "' AND ts = '" + ts + "'"), ts + " stored");
        }
        String read = admin.get("/api/v1/collectors/" + self + "/metrics?name=pg_up&since=0001-01-01T00%3A00%3A00Z").body();
        for (String ts : instants) {
            assertTrue(read.contains("\"ts\":\"" + java.time.Instant.parse(ts) + "\""), ts + " read back as itself: " + read);
        }
    }

    @Test
    void preconditionsSentAsSeveralFieldLinesAreReadAsOneList() throws SQLException {
        // RFC 9110 §5.3: If-Match: "a" and If-Match: "b" on two lines mean If-Match: "a", "b".
        String id = newCollector();
        HttpResponse<String> first = admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(5).toml());
        assertEquals(201, first.statusCode());
        String etag = first.headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> stale = admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(6).toml(),
                "If-Match", "\"0-stale\"", "If-Match", etag);
        assertEquals(201, stale.statusCode(), "one of the listed tags is current: " + stale.body());
        String current = stale.headers().firstValue("ETag").orElseThrow();

        assertProblem(admin.putToml("/api/v1/config/" + id, aDocument().pushInterval(7).toml(), "If-Match", current, "If-Match", "garbage"),
                400, "malformed entity tag");
        assertEquals(2, count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"));

        assertEquals(304, admin.get("/api/v1/config/" + id, "If-None-Match", "\"0-other\"", "If-None-Match", current).statusCode());
        assertEquals(304, admin.get("/api/v1/config/" + id + "/own", "If-None-Match", "\"0-other\"", "If-None-Match", current).statusCode());
    }

    @Test
    void deeplyNestedTomlIsRefusedWith422AndNothingIsStored() throws SQLException {
        String id = newCollector();
        String arrays = "[collector]\nwatch = " + "[".repeat(50_000) + "]".repeat(50_000) + "\n";
        String inline = "[collector]\nwatch = " + "{a = ".repeat(20_000) + "1" + "}".repeat(20_000) + "\n";
        String dotted = "[collector]\n" + "a.".repeat(40_000) + "b = 1\n";
        String header = "[" + "t.".repeat(40_000) + "u]\nx = 1\n";
        for (String doc : new String[] {arrays, inline, dotted, header}) {
            HttpResponse<String> put = admin.putToml("/api/v1/config/" + id, doc);
            assertProblem(put, 422, "nest");
            HttpResponse<String> validate = admin.send(admin.request("/api/v1/config/validate")
                    .header("Content-Type", "application/toml").POST(HttpRequest.BodyPublishers.ofString(doc)));
            assertProblem(validate, 422, "nest");
        }
        assertEquals(0, count("SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"));
    }

    @Test
    void pathsOutsideTheApiAre404Problems() {
        ApiClient anonymous = new ApiClient(SERVER.port());
        for (String path : new String[] {"/", "/favicon.ico", "/anything", "/api", "/observe/nothing"}) {
            assertProblem(anonymous.get(path), 404, "no-such-endpoint");
        }
        assertProblem(anonymous.send(anonymous.request("/anything").DELETE()), 404, "no-such-endpoint");
    }

    private static long requestSeries() {
        return new ApiClient(SERVER.port()).get("/observe/metrics").body().lines()
                .filter(l -> l.startsWith("pgfleet_http_request_duration_seconds_count{")).count();
    }

    @Test
    void unknownPathsAndMethodsShareOneMetricSeries() {
        ApiClient anonymous = new ApiClient(SERVER.port());
        anonymous.get("/warm-up");
        anonymous.send(anonymous.request("/warm-up").method("BREW", HttpRequest.BodyPublishers.noBody()));
        requestSeries();
        long before = requestSeries();
        for (int i = 0; i < 200; i++) {
            anonymous.get("/scan-" + i);
            anonymous.get("/api/v1/scan-" + i + "/x");
            anonymous.send(anonymous.request("/scan-" + i).method("M" + i, HttpRequest.BodyPublishers.noBody()));
        }
        long after = requestSeries();
        assertEquals(before, after, "unknown paths and methods add no series");
    }

    @Test
    void theDiffOfHugeDissimilarRevisionsIsBoundedAndStillCorrect() {
        String id = newCollector();
        StringBuilder a = new StringBuilder("[collector]\n");
        StringBuilder b = new StringBuilder("[collector]\n");
        for (int i = 0; i < 30_000; i++) {
            a.append(String.format("#a%05d\n", i));
            b.append(String.format("#b%05d\n", i));
        }
        assertEquals(201, admin.putToml("/api/v1/config/" + id, a.toString()).statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/" + id, b.toString()).statusCode());
        HttpResponse<String> diff = admin.get("/api/v1/config/" + id + "/diff?from=1&to=2");
        assertEquals(200, diff.statusCode(), diff.body());
        assertEquals("false", diff.headers().firstValue("X-Diff-Minimal").orElse(""),
                "the work bound was reached, so the change is shown as one replacement");
        assertTrue(diff.body().contains("@@ -1,30001 +1,30001 @@"), diff.body().substring(0, 300));

        assertEquals(201, admin.putToml("/api/v1/config/" + id, b.toString().replace("#b00007", "#c00007")).statusCode());
        HttpResponse<String> small = admin.get("/api/v1/config/" + id + "/diff?from=2&to=3");
        assertEquals(200, small.statusCode(), small.body());
        assertEquals("true", small.headers().firstValue("X-Diff-Minimal").orElse(""));
        assertTrue(small.body().contains("-#b00007") && small.body().contains("+#c00007"), small.body());
    }

    @Test
    void aNumberInAPathIsPlainDigitsOrA400NamingTheParameter() {
        String id = newCollectorWithTwoVersions();
        assertEquals(200, admin.get("/api/v1/config/" + id + "/versions/1").statusCode());
        for (String v : new String[] {"+1", "01", "%201", "1e0", "1.0", "0", "-1", "2147483648", "99999999999999999999"}) {
            assertProblem(admin.get("/api/v1/config/" + id + "/versions/" + v), 400, "path parameter 'version'");
        }
        assertProblem(admin.get("/api/v1/fleet/config/versions/+1"), 400, "path parameter 'version'");
        for (String r : new String[] {"+1", "01", "9223372036854775807", "99999999999999999999"}) {
            assertProblem(admin.get("/api/v1/rollouts/" + r), 400, "path parameter 'id' must be a number from 1 to");
        }
        assertProblem(admin.get("/api/v1/rollouts/999999999999999999"), 404, "no rollout has the id");
    }

    @Test
    void anInstantIsRfc3339OrA400NamingTheParameterAndTheRule() {
        for (String since : new String[] {"2026-11-29T10:00:00Z", "2026-11-29t10:00:00z", "2026-11-29T11:00:00%2B01:00",
                "2026-11-29T10:00:00-00:00", "2026-12-31T23:59:60Z", "2026-11-29T10:00:00.123456789Z"}) {
            HttpResponse<String> r = admin.get("/api/v1/audit?since=" + since);
            assertEquals(200, r.statusCode(), since + ": " + r.body());
        }
        for (String since : new String[] {"2026-11-29T24:00:00Z", "2026-11-29T10:00:00.Z", "2026-11-29T10:00:00.1234567891Z",
                "2026-11-29T10:00:60Z", "0000-01-01T00:00:00Z", "%2B10000-01-01T00:00:00Z", "10000-01-01T00:00:00Z",
                "2026-11-29T10:00Z", "2026-11-29T10:00:00%2B0100", "2026-02-30T10:00:00Z"}) {
            assertProblem(admin.get("/api/v1/audit?since=" + since), 400, "query parameter 'since' must be an RFC 3339 instant");
        }
    }

    @Test
    void aChangeMessageOfAThousandCharactersIsAcceptedWhateverTheirUtf16Length() throws SQLException {
        String id = newCollectorWithTwoVersions();
        String rockets = "\\ud83d\\ude80".repeat(1000);
        HttpResponse<String> r = admin.postJson("/api/v1/config/" + id + "/rollback",
                "{\"to_version\": 1, \"message\": \"" + rockets + "\"}");
        assertEquals(201, r.statusCode(), r.body());
        assertProblem(admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\": 2, \"message\": \""
                + rockets + "x\"}"), 400, "1000 characters");
        assertEquals(1000, count("SELECT char_length(message) FROM config_revisions WHERE collector_id = '" + id
                + "' AND version = 3"));
    }

    @Test
    void aPasswordsLengthCountsCharactersWhateverTheirUtf16Length() throws SQLException {
        // Six rockets are six characters (twelve UTF-16 units): short of the twelve a password needs.
        String six = "\\ud83d\\ude80".repeat(6);
        assertProblem(admin.postJson("/api/v1/users", "{\"username\": \"rockets6\", \"password\": \"" + six
                + "\", \"role\": \"viewer\"}"), 400, "at least 12 characters");
        assertEquals(0, count("SELECT count(*) FROM users WHERE username = 'rockets6'"));
        // A thousand and twenty-four of them are within the longest password, 1,024 characters.
        String most = "\\ud83d\\ude80".repeat(1024);
        HttpResponse<String> created = admin.postJson("/api/v1/users", "{\"username\": \"rockets1024\", \"password\": \""
                + most + "\", \"role\": \"viewer\"}");
        assertEquals(201, created.statusCode(), created.body());
        assertProblem(admin.send(admin.request("/api/v1/users/rockets1024").header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"password\": \"" + most + "x\"}"))), 400,
                "at most 1024 characters");
    }

    @Test
    void anIntegerFieldTakesAWholeNumberHoweverItIsWrittenAndRefusesAFractionNamingTheField() throws SQLException {
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\": \"numbers\", \"priority\": 1e2}").statusCode());
        assertEquals(100, count("SELECT priority FROM config_groups WHERE id = 'numbers'"));
        for (String[] c : new String[][] {{"7.0", "7"}, {"1.00e2", "100"}, {"1E+1", "10"}, {"-0", "0"}, {"-2.50e1", "-25"}}) {
            HttpResponse<String> r = admin.send(admin.request("/api/v1/groups/numbers").header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"priority\": " + c[0] + "}")));
            assertEquals(200, r.statusCode(), c[0] + ": " + r.body());
            assertEquals(Long.parseLong(c[1]), count("SELECT priority FROM config_groups WHERE id = 'numbers'"), c[0]);
        }
        long audit = count("SELECT count(*) FROM audit_log");
        for (String bad : new String[] {"1.5", "1e-1", "1e-999999999", "0.5e1e", "1e999999999", "\"5\""}) {
            HttpResponse<String> r = admin.send(admin.request("/api/v1/groups/numbers").header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"priority\": " + bad + "}")));
            assertEquals(400, r.statusCode(), bad + ": " + r.body());
        }
        assertProblem(admin.send(admin.request("/api/v1/groups/numbers").header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"priority\": 2.5}"))), 400, "'priority'");
        assertEquals(-25, count("SELECT priority FROM config_groups WHERE id = 'numbers'"), "nothing changed");
        assertEquals(audit, count("SELECT count(*) FROM audit_log"));
    }
}
