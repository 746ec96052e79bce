package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a hostile client sends to a running server, over real HTTP with real PostgreSQL: every
 * answer is a bounded {@code 4xx} problem that shows what it names as text, never a {@code 5xx},
 * and a request costs the server no more than its own size allows.
 */
class HostileHttpIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static ApiClient admin;
    private static ApiClient viewer;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"hostile-viewer\",\"password\":\"a-long-viewer-password\",\"role\":\"viewer\"}").statusCode());
        viewer = new ApiClient(SERVER.port());
        assertEquals(200, viewer.login("hostile-viewer", "a-long-viewer-password").statusCode());
    }

    private static void assertProblem(HttpResponse<String> r, int status, String mentions) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""), r.body());
        assertTrue(r.body().contains(mentions), "the problem names " + mentions + ": " + r.body());
    }

    private static HttpResponse<String> validate(ApiClient client, String toml) {
        return client.send(client.request("/api/v1/config/validate").header("Content-Type", "application/toml")
                .POST(HttpRequest.BodyPublishers.ofString(toml)));
    }

    /**
     * A viewer's document of 30,000 unknown keys used to answer all 30,000 errors, 4.4 MB built as
     * one string per request: a few dozen in parallel exhausted the heap. The answer lists the first
     * 100 and counts the rest.
     */
    @Test
    void aDocumentOfThousandsOfErrorsIsAnsweredWithTheFirstHundredAndTheirCount() {
        StringBuilder doc = new StringBuilder();
        for (int i = 0; i < 30_000; i++) {
            doc.append('a').append(i).append("=1\n");
        }
        HttpResponse<String> r = validate(viewer, doc.toString());
        assertTrue(r.body().length() < 32 * 1024, "the answer is bounded: " + r.body().length() + " characters");
        assertProblem(r, 422, "\"total\":30000");
        assertTrue(r.body().contains("30000 errors (the first 100 listed); nothing was stored"), r.body());
        assertEquals(100, count(r.body(), "\"message\":"), "errors listed");

        String id = "hostile-many-errors";
        assertEquals(201, admin.createCollector(id).statusCode());
        HttpResponse<String> put = admin.putToml("/api/v1/config/" + id, doc.toString());
        assertProblem(put, 422, "\"total\":30000");
        assertEquals(100, count(put.body(), "\"message\":"), "errors listed");
        HttpResponse<String> fleet = admin.putToml("/api/v1/fleet/config", doc.toString());
        assertProblem(fleet, 422, "\"total\":30000");
        assertEquals(100, count(fleet.body(), "\"layer\":"), "errors listed");
    }

    /**
     * A Content-Type whose parameter does not parse (an unterminated quote, a parameter without a
     * name) used to be a 500 with a stack trace in the log, even without credentials.
     */
    @Test
    void aMalformedContentTypeIsA400NamingTheHeaderEvenWithoutCredentials() {
        ApiClient anonymous = new ApiClient(SERVER.port());
        for (String type : new String[] {"text/plain; x=\"", "a/b; =\"", "application/json; x=\""}) {
            assertProblem(anonymous.send(anonymous.request("/api/v1/auth/login").header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))), 400, "Content-Type header is malformed");
            assertProblem(admin.send(admin.request("/api/v1/groups").header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))), 400, "Content-Type header is malformed");
            assertProblem(viewer.send(viewer.request("/api/v1/config/validate").header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString("[collector]\n"))), 400, "Content-Type header is malformed");
            assertProblem(admin.send(admin.request("/api/v1/config/anyone").header("Content-Type", type)
                    .PUT(HttpRequest.BodyPublishers.ofString("[collector]\n"))), 400, "Content-Type header is malformed");
        }
        // A well-formed type that is not accepted is still a 415, parameters and all.
        assertProblem(viewer.send(viewer.request("/api/v1/config/validate").header("Content-Type", "text/html; charset=\"utf-8\"")
                .POST(HttpRequest.BodyPublishers.ofString("[collector]\n"))), 415, "text/html");
    }

    /**
     * A header the API reads one value of, sent on two lines, used to count by its first line: the
     * document was read as TOML under a second {@code Content-Type: application/json}, the first of
     * two change messages was stored, the first of two tokens or registration secrets decided. A
     * proxy or log that reads the last line sees another request: it is refused, nothing carried out.
     */
    @Test
    void aHeaderReadAsOneValueSentOnTwoLinesIsA400NamingItAndNothingIsCarriedOut() {
        String id = "hostile-two-lines";
        assertEquals(201, admin.createCollector(id).statusCode());
        String document = "[collector]\npush_interval = 9\n";
        assertProblem(admin.send(admin.request("/api/v1/config/" + id).header("Content-Type", "text/plain")
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(document))),
                400, "Content-Type");
        assertProblem(admin.send(admin.request("/api/v1/config/" + id).header("Content-Type", "application/toml")
                .header("X-Change-Message", "reviewed").header("X-Change-Message", "something else")
                .PUT(HttpRequest.BodyPublishers.ofString(document))), 400, "X-Change-Message");
        assertEquals(404, admin.get("/api/v1/config/" + id).statusCode(), "nothing was published");

        assertProblem(admin.send(admin.request("/api/v1/groups").header("Authorization", "Bearer not-a-token")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"hostile-two-tokens\",\"selector\":{\"a\":\"b\"}}"))),
                400, "Authorization");
        assertEquals(404, admin.get("/api/v1/groups/hostile-two-tokens").statusCode(), "no group was made");

        ApiClient anonymous = new ApiClient(SERVER.port());
        assertProblem(anonymous.send(anonymous.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .header("X-Registration-Secret", "guessed")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"hostile-two-secrets\"}"))), 400, "X-Registration-Secret");
        assertFalse(admin.get("/api/v1/collectors?limit=5000").body().contains("hostile-two-secrets"), "no collector was registered");
    }

    /**
     * Only publishes and rollbacks evaluate If-Match. Elsewhere a stale tag used to be ignored: the
     * group's selector, a collector's labels were changed and a group deleted as if the client had
     * not made them conditional. Such a request is refused naming the header, and nothing changes.
     */
    @Test
    void aChangeThatCannotEvaluateIfMatchRefusesItInsteadOfIgnoringIt() {
        String group = "hostile-if-match";
        assertEquals(201, admin.postJson("/api/v1/groups", "{\"id\":\"" + group + "\",\"selector\":{\"a\":\"b\"}}").statusCode());
        String id = "hostile-if-match";
        assertEquals(201, admin.createCollector(id).statusCode());
        for (String tag : new String[] {"\"1-0123456789abcdef\"", "*"}) {
            assertProblem(admin.send(admin.request("/api/v1/groups/" + group).header("If-Match", tag)
                    .header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"selector\":{\"a\":\"c\"}}"))), 400, "If-Match");
            assertProblem(admin.send(admin.request("/api/v1/collectors/" + id).header("If-Match", tag)
                    .header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\":{\"a\":\"b\"}}"))), 400, "If-Match");
            assertProblem(admin.send(admin.request("/api/v1/groups/" + group).header("If-Match", tag).DELETE()), 400, "If-Match");
        }
        assertTrue(admin.get("/api/v1/groups/" + group).body().contains("\"selector\":{\"a\":\"b\"}"), "the group is as it was");
        assertFalse(admin.get("/api/v1/collectors/" + id).body().contains("\"labels\":{\"a\":\"b\"}"), "the labels are as they were");
        // The routes that evaluate it still do, and a read is answered whatever it says.
        assertProblem(admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 9\n", "If-Match", "\"1-0123456789abcdef\""),
                412, "version-conflict");
        assertEquals(200, admin.get("/api/v1/groups/" + group, "If-Match", "\"1-0123456789abcdef\"").statusCode());
    }

    /**
     * No change evaluates If-None-Match or If-Unmodified-Since. A publish made conditional with
     * {@code If-None-Match: *} ("only if nothing is published yet") was carried out over the version
     * someone else had published; so was one with an {@code If-Unmodified-Since} long past. Such a
     * request is refused naming the header, and nothing changes; a read still evaluates If-None-Match.
     */
    @Test
    void aChangeThatCannotEvaluateIfNoneMatchOrIfUnmodifiedSinceRefusesItInsteadOfIgnoringIt() {
        String id = "hostile-if-none-match";
        assertEquals(201, admin.createCollector(id).statusCode());
        HttpResponse<String> first = admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 9\n");
        assertEquals(201, first.statusCode(), first.body());
        String etag = first.headers().firstValue("ETag").orElseThrow();
        String[][] conditions = {{"If-None-Match", "*"}, {"If-None-Match", etag},
                {"If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}};
        for (String[] condition : conditions) {
            assertProblem(admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 11\n", condition[0], condition[1]),
                    400, condition[0]);
            assertProblem(admin.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 11\n", condition[0], condition[1]),
                    400, condition[0]);
            assertProblem(admin.send(admin.request("/api/v1/collectors/" + id).header(condition[0], condition[1])
                    .header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"labels\":{\"a\":\"b\"}}"))), 400, condition[0]);
        }
        assertTrue(admin.get("/api/v1/config/" + id).body().contains("push_interval = 9"), "the first version is still the latest");
        assertFalse(admin.get("/api/v1/collectors/" + id).body().contains("\"labels\":{\"a\":\"b\"}"), "the labels are as they were");
        assertEquals(304, admin.get("/api/v1/config/" + id, "If-None-Match", etag).statusCode(), "a read evaluates it");
    }

    /**
     * An id, a query value or a path quoted back in a problem's detail used to carry a C1 control
     * (U+009B is a terminal's CSI) or a bidi override (U+202E) raw to whoever prints it; the JSON
     * encoder escaped only the C0 controls.
     */
    @Test
    void problemDetailsShowControlAndBidiCharactersEscaped() {
        String hostile = "x%1b%5b31mRED%E2%80%AE%C2%9b";
        for (String path : new String[] {"/api/v1/config/" + hostile, "/api/v1/groups/" + hostile,
                "/api/v1/rollouts/" + hostile, "/api/v1/config/anyone/versions/" + hostile,
                "/api/v1/config/anyone/diff?from=" + hostile + "&to=1", "/api/v1/audit?action=" + hostile,
                "/api/v1/no-such/" + hostile}) {
            HttpResponse<String> r = admin.get(path);
            assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, path + " → " + r.statusCode() + " " + r.body());
            String detail = r.body().replaceAll(".*\"detail\":\"((?:[^\"\\\\]|\\\\.)*)\".*", "$1");
            assertTrue(detail.contains("\\u202e") && detail.contains("\\u009b") && detail.contains("\\u001b"),
                    path + " shows the characters escaped: " + r.body());
            assertTrue(r.body().chars().noneMatch(c -> c == 0x202e || c == 0x9b || c == 0x1b), path + ": " + r.body());
        }
    }

    /**
     * A header carries ASCII: a change message sent as raw UTF-8 was stored as U+FFFD for good. It is
     * refused naming the header, and RFC 8187's {@code UTF-8''} form carries any text intact.
     */
    @Test
    void aChangeMessageOfRawUtf8IsRefusedAndItsEncodedFormIsStoredIntact() throws IOException {
        String id = "hostile-message";
        assertEquals(201, admin.createCollector(id).statusCode());
        byte[] document = "[collector]\npush_interval = 7\n".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(("PUT /api/v1/config/" + id + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin.token()
                + "\r\nContent-Type: application/toml\r\nContent-Length: " + document.length
                + "\r\nConnection: close\r\nX-Change-Message: ").getBytes(StandardCharsets.US_ASCII));
        raw.writeBytes("café ✓".getBytes(StandardCharsets.UTF_8));
        raw.writeBytes("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        raw.writeBytes(document);
        String answer = exchange(raw.toByteArray());
        assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        assertTrue(answer.contains("X-Change-Message holds characters other than ASCII"), answer);
        assertEquals(404, admin.get("/api/v1/config/" + id).statusCode(), "nothing was stored");

        assertEquals(201, admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 7\n",
                "X-Change-Message", "UTF-8''caf%C3%A9%20%E2%9C%93").statusCode());
        assertTrue(admin.get("/api/v1/config/" + id + "/versions").body().contains("\"message\":\"café ✓\""),
                "history shows the message as sent");
        assertProblem(admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 8\n",
                "X-Change-Message", "UTF-8''caf%C3"), 400, "does not decode as UTF-8");
        assertProblem(admin.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 8\n",
                "X-Change-Message", "UTF-8''red%1B%5B31m"), 400, "U+001B");
    }

    /**
     * {@code Long.parseLong} after a trim took {@code +1} and {@code %201} (a decoded space) but not
     * {@code 1e2}: an integer parameter is now plain ASCII digits, whatever the parameter.
     */
    @Test
    void aQueryParameterTheRouteDoesNotTakeIsRefusedNamingItAndWhatTheRouteTakes() {
        assertEquals(201, admin.createCollector("query-typo").statusCode());
        HttpResponse<String> typo = admin.get("/api/v1/collectors?limt=1");
        assertEquals(400, typo.statusCode(), typo.body());
        assertTrue(typo.body().contains("query parameter 'limt' is not one that GET /api/v1/collectors takes"
                + " (it takes after, in_sync, limit, never_seen, selector)"), typo.body());
        HttpResponse<String> until = admin.get("/api/v1/collectors/query-typo/metrics?name=pg_up&until=2026-01-01T00:00:00Z");
        assertEquals(400, until.statusCode(), until.body());
        assertTrue(until.body().contains("'until'"), until.body());
        HttpResponse<String> none = admin.get("/api/v1/groups?x=1");
        assertEquals(400, none.statusCode(), none.body());
        assertTrue(none.body().contains("(it takes none)"), none.body());
        HttpResponse<String> hidden = admin.get("/api/v1/collectors?%1b%5b2J=1");
        assertEquals(400, hidden.statusCode(), hidden.body());
        assertTrue(hidden.body().contains("\\u001b[2J"), hidden.body());
        // Named without a value: a 400 naming it, not a 500.
        for (String path : new String[] {"/api/v1/collectors?limit", "/api/v1/collectors?after",
                "/api/v1/config/query-typo?wait&after=1", "/api/v1/audit?since"}) {
            HttpResponse<String> bare = admin.get(path);
            assertEquals(400, bare.statusCode(), path + ": " + bare.body());
            assertTrue(bare.body().contains("needs a value"), bare.body());
        }
        // What a route takes is answered as before.
        assertEquals(200, admin.get("/api/v1/collectors?limit=1").statusCode());
        assertEquals(200, admin.get("/api/v1/collectors/query-typo/metrics?name=pg_up&limit=5").statusCode());
    }

    @Test
    void aUsersUnknownRoleIsRefusedNamingOnlyTheRolesAUserCanHold() {
        for (String role : java.util.List.of("root", "collector")) {
            HttpResponse<String> r = admin.postJson("/api/v1/users",
                    "{\"username\":\"role-" + role + "\",\"password\":\"a-long-password-1\",\"role\":\"" + role + "\"}");
            assertProblem(r, 400, "users hold admin, operator or viewer");
            assertFalse(r.body().contains("or collector"), r.body());
        }
    }

    @Test
    void integerQueryParametersArePlainDigitsAlone() {
        for (String v : new String[] {"%2B1", "%201", "1%20", "1e2", "-1", "0x10", "%EF%BC%91", ""}) {
            assertProblem(admin.get("/api/v1/audit?limit=" + v), 400, "plain digits");
        }
        assertEquals(200, admin.get("/api/v1/audit?limit=1").statusCode());
        assertEquals(200, admin.get("/api/v1/audit?limit=007").statusCode());
    }

    /**
     * An entity tag with a space inside its quotes is no entity tag (RFC 9110 §8.8.3): it used to be
     * compared and answered 412 as though the document had changed.
     */
    @Test
    void anEntityTagWithASpaceOrControlInsideItsQuotesIsA400NotA412() {
        String id = "hostile-etag";
        assertEquals(201, admin.createCollector(id).statusCode());
        String doc = io.pgfleet.testing.ConfigCorpus.VALID.getFirst();
        HttpResponse<String> first = admin.putToml("/api/v1/config/" + id, doc);
        assertTrue(first.statusCode() < 300, first.body());
        String etag = first.headers().firstValue("ETag").orElseThrow();
        String inner = etag.substring(1, etag.length() - 1);
        for (String bad : new String[] {"\"" + inner + " \"", "\" " + inner + "\"", "\"" + inner + "\t\""}) {
            assertProblem(admin.putToml("/api/v1/config/" + id, doc, "If-Match", bad), 400, "malformed entity tag");
        }
        assertEquals(412, admin.putToml("/api/v1/config/" + id, doc, "If-Match", "\"1-not-the-current\"").statusCode(),
                "a well-formed tag that does not match is still a 412");
    }

    /** Login and refresh used to ignore members they do not read, unlike every other JSON endpoint. */
    @Test
    void loginAndRefreshRefuseAnUnknownFieldLikeEveryOtherEndpoint() {
        ApiClient anonymous = new ApiClient(SERVER.port());
        assertProblem(anonymous.postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"x\",\"refresh_tokn\":\"y\"}"),
                400, "unknown field 'refresh_tokn'; expected refresh_token");
        assertProblem(anonymous.postJson("/api/v1/auth/login",
                "{\"username\":\"hostile-viewer\",\"password\":\"a-long-viewer-password\",\"otp\":\"1\"}"),
                400, "unknown field 'otp'; expected username, password");
    }

    /**
     * {@code X-Change-Message} refused terminal escapes, bidi overrides and line breaks, while the
     * {@code message} of a rollback or a rollout took them and stored them for good in history and
     * audit. Every message source now follows one rule.
     */
    @Test
    void aMessageWithATerminalEscapeABidiOverrideOrALineBreakIsRefusedFromJsonAsFromTheHeader() {
        String id = "hostile-messages";
        assertEquals(201, admin.createCollector(id).statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 11\n").statusCode());
        // A rollback to version 1 would store version 3.
        assertEquals(201, admin.putToml("/api/v1/config/" + id, "[collector]\npush_interval = 12\n").statusCode());
        // The fleet layer is left alone: a fleet version would give every collector of this class's
        // server a configuration. The message is refused before the version to roll back to is looked up.
        assertEquals(201, admin.postJson("/api/v1/groups",
                "{\"id\":\"hostile-messages\",\"selector\":{\"tier\":\"hostile-messages\"},\"priority\":1}").statusCode());
        String collectorHistory = admin.get("/api/v1/config/" + id + "/versions").body();
        String fleetHistory = admin.get("/api/v1/fleet/config/versions").body();
        String rollouts = admin.get("/api/v1/rollouts").body();
        String audit = admin.get("/api/v1/audit").body();

        // As JSON escapes: ESC [31m, the window-title sequence ending in BEL, RLO, LF, CR, LINE SEPARATOR.
        for (String message : new String[] {"a\\u001b[31mred", "x\\u001b]0;pwned\\u0007\\u202e",
                "a\\u202eb", "one\\ntwo", "one\\rtwo", "one\\u2028two"}) {
            String field = ",\"message\":\"" + message + "\"}";
            assertProblem(admin.postJson("/api/v1/config/" + id + "/rollback", "{\"to_version\":1" + field),
                    400, "'message' holds U+");
            assertProblem(admin.postJson("/api/v1/fleet/config/rollback", "{\"to_version\":1" + field),
                    400, "'message' holds U+");
            assertProblem(admin.postJson("/api/v1/rollouts", "{\"layer\":\"group/hostile-messages\","
                    + "\"document\":\"[collector]\\npush_interval = 13\\n\",\"waves\":[{\"percent\":100}],"
                    + "\"bake_seconds\":0" + field), 400, "'message' holds U+");
        }

        assertEquals(collectorHistory, admin.get("/api/v1/config/" + id + "/versions").body(), "no collector version stored");
        assertEquals(fleetHistory, admin.get("/api/v1/fleet/config/versions").body(), "no fleet version stored");
        assertEquals(rollouts, admin.get("/api/v1/rollouts").body(), "no rollout stored");
        assertEquals(audit, admin.get("/api/v1/audit").body(), "nothing audited");
    }

    /**
     * A problem repeated the invalid value it named, whole: a sample name of 5,000 characters came
     * back in the answer (and any field could, up to the body limit). A quoted value is cut to its
     * first 64 characters and its length, and no detail is longer than its bound.
     */
    @Test
    void aProblemQuotesTheBeginningOfALongValueAndItsLengthNeverTheWholeValue() {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"long-sample-name\"}");
        String name = "m_" + "a".repeat(5000);
        HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"long-name-1\",\"samples\":[{\"name\":\""
                + name + "\",\"labels\":{},\"value\":1,\"ts\":\"2026-01-01T00:00:00Z\"}]}");
        assertProblem(r, 400, "m_" + "a".repeat(62) + "\u2026 (5002 characters)");
        assertTrue(r.body().length() < 600, "the answer is bounded: " + r.body().length() + " characters");

        String key = "k".repeat(50_000);
        HttpResponse<String> field = admin.postJson("/api/v1/config/no-such-collector/rollback",
                "{\"to_version\":1,\"" + key + "\":1}");
        assertProblem(field, 400, "characters in all; the rest is not shown)");
        assertTrue(field.body().length() < 2600, "the answer is bounded: " + field.body().length() + " characters");
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** The status line, headers and body the server answered to raw bytes, read until it closes or the body ends. */
    static String exchange(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            // A deadline for "the server answers at all"; the answer normally comes at once.
            s.setSoTimeout(20_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    String text = out.toString(StandardCharsets.ISO_8859_1);
                    int headEnd = text.indexOf("\r\n\r\n");
                    if (headEnd >= 0) {
                        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(text.substring(0, headEnd));
                        if (m.find() && text.length() - headEnd - 4 >= Integer.parseInt(m.group(1))) {
                            break;
                        }
                    }
                }
            } catch (SocketTimeoutException e) {
                fail("no answer within the deadline; got so far: " + out.toString(StandardCharsets.ISO_8859_1));
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }
}
