package io.pgfleet.server;

import io.pgfleet.application.service.SecuritySettings;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The published OpenAPI description against what the server really does: a session that uses every
 * route (successes and the usual refusals) over real HTTP on a real PostgreSQL is recorded, and
 * each exchange must be described (path, method, status, content type) and each JSON request and
 * answer must validate against its schema in the description (JSON Schema 2020-12).
 */
class OpenApiConformanceIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String TOML_1 = "[collector]\npush_interval = 30\n\n[collectors.pg_stats]\ninterval = 10\n";
    private static final String TOML_2 = "[collector]\npush_interval = 30\n\n[collectors.pg_stats]\ninterval = 2\n";
    private static final String INVALID = "[collector]\npush_interval = 0\n[postgres]\npassword = \"x\"\n";
    private static final String LAYER_1 = "[collector]\npush_interval = 20\n";
    private static final String LAYER_2 = "[collector]\npush_interval = 25\n";
    private static final String PASSWORD_ENV = "[postgres]\npassword_env = \"PGPASSWORD\"\n";
    private static final String PASSWORD_FILE = "[postgres]\npassword_file = \"/etc/pgfleet/pw\"\n";

    /**
     * One request and its answer.
     *
     * @param method       HTTP method
     * @param path         path and query
     * @param requestType  request Content-Type, empty without a body
     * @param requestBody  request body
     * @param status       answer status
     * @param responseType answer Content-Type, empty without one
     * @param responseBody answer body
     */
    record Exchange(String method, String path, String requestType, String requestBody, int status, String responseType,
                    String responseBody) {
        @Override
        public String toString() {
            return method + " " + path + " → " + status;
        }
    }

    /** No reuse grace: a spent refresh token presented again is refused at once, so its 401 is exercised. */
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withSecurity(new SecuritySettings(
            s.security().refreshTokenTtl(), s.security().enrolmentTokenTtl(), Duration.ZERO,
            s.security().accessTokenClockSkew())));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<Exchange> EXCHANGES = new ArrayList<>();
    private static JsonNode description;
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> COMPILED = new HashMap<>();

    private static Exchange call(String method, String path, Optional<String> token, String contentType, String body,
                                 String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + SERVER.port() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (!contentType.isEmpty()) {
            b.header("Content-Type", contentType);
        }
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        Exchange e = new Exchange(method, path, contentType, body, r.statusCode(),
                r.headers().firstValue("Content-Type").orElse(""), r.body());
        EXCHANGES.add(e);
        return e;
    }

    private static Exchange json(String method, String path, Optional<String> token, String body, String... headers)
            throws IOException, InterruptedException {
        return call(method, path, token, "application/json", body, headers);
    }

    private static Exchange expect(int status, Exchange e) {
        assertEquals(status, e.status(), e + ": " + e.responseBody());
        return e;
    }

    private static String field(Exchange e, String name) {
        return JSON.readTree(e.responseBody()).path(name).asString();
    }

    /** Uses every route of the API the way clients do, recording each exchange. */
    private static void session() throws Exception {
        Optional<String> none = Optional.empty();
        expect(200, call("GET", "/api/v1/openapi.json", none, "", ""));
        expect(401, json("POST", "/api/v1/auth/login", none, "{\"username\":\"admin\",\"password\":\"wrong-password\"}"));
        expect(400, json("POST", "/api/v1/auth/login", none, "{\"username\":\"admin\"}"));
        Exchange login = expect(200, json("POST", "/api/v1/auth/login", none,
                "{\"username\":\"admin\",\"password\":\"" + ServerSettings.TEST_ADMIN_PASSWORD + "\"}"));
        Exchange refreshed = expect(200, json("POST", "/api/v1/auth/refresh", none,
                "{\"refresh_token\":\"" + field(login, "refresh_token") + "\"}"));
        expect(401, json("POST", "/api/v1/auth/refresh", none, "{\"refresh_token\":\"" + field(login, "refresh_token") + "\"}"));
        // That reuse ended the session, its access tokens with it: a new one, then a logout of it.
        expect(401, call("GET", "/api/v1/users", Optional.of(field(refreshed, "access_token")), "", ""));
        Exchange ended = expect(200, json("POST", "/api/v1/auth/login", none,
                "{\"username\":\"admin\",\"password\":\"" + ServerSettings.TEST_ADMIN_PASSWORD + "\"}"));
        expect(204, json("POST", "/api/v1/auth/logout", none, "{\"refresh_token\":\"" + field(ended, "refresh_token") + "\"}"));
        expect(400, json("POST", "/api/v1/auth/logout", none, "{}"));
        Exchange current = expect(200, json("POST", "/api/v1/auth/login", none,
                "{\"username\":\"admin\",\"password\":\"" + ServerSettings.TEST_ADMIN_PASSWORD + "\"}"));
        Optional<String> admin = Optional.of(field(current, "access_token"));
        expect(401, call("GET", "/api/v1/collectors", none, "", ""));

        expect(201, json("POST", "/api/v1/collectors", admin, "{\"id\":\"oa-1\",\"name\":\"one\",\"labels\":{\"env\":\"prod\"}}"));
        expect(409, json("POST", "/api/v1/collectors", admin, "{\"id\":\"oa-1\"}"));
        expect(400, json("POST", "/api/v1/collectors", admin, "{\"id\":\"oa-1\",\"colour\":\"red\"}"));
        expect(404, call("GET", "/api/v1/config/oa-1", admin, "", ""));
        expect(404, call("PUT", "/api/v1/config/oa-nobody", admin, "application/toml", TOML_1));
        expect(415, call("PUT", "/api/v1/config/oa-1", admin, "application/json", "{}"));
        expect(422, call("PUT", "/api/v1/config/oa-1", admin, "application/toml", INVALID));
        Exchange v1 = expect(201, call("PUT", "/api/v1/config/oa-1", admin, "application/toml", TOML_1,
                "X-Change-Message", "first"));
        expect(200, call("PUT", "/api/v1/config/oa-1", admin, "application/toml", TOML_1));
        expect(201, call("PUT", "/api/v1/config/oa-1", admin, "application/toml", TOML_2, "If-Match", field(v1, "etag")));
        expect(412, call("PUT", "/api/v1/config/oa-1", admin, "text/plain", TOML_1, "If-Match", field(v1, "etag")));
        expect(200, call("GET", "/api/v1/config/oa-1", admin, "", ""));
        expect(304, call("GET", "/api/v1/config/oa-1", admin, "", "", "If-None-Match", "*"));
        expect(304, call("GET", "/api/v1/config/oa-1?wait=1&after=2", admin, "", ""));
        expect(200, call("GET", "/api/v1/config/oa-1?wait=1&after=1", admin, "", ""));
        expect(200, call("GET", "/api/v1/config/oa-1/versions/1", admin, "", ""));
        expect(404, call("GET", "/api/v1/config/oa-1/versions/9", admin, "", ""));
        expect(200, call("GET", "/api/v1/config/oa-1/versions?limit=1", admin, "", ""));
        expect(200, call("GET", "/api/v1/config/oa-1/diff?from=1&to=2", admin, "", ""));
        expect(400, call("GET", "/api/v1/config/oa-1/diff?from=x&to=2", admin, "", ""));
        expect(201, json("POST", "/api/v1/config/oa-1/rollback", admin, "{\"to_version\":1,\"message\":\"back\"}"));
        expect(404, json("POST", "/api/v1/config/oa-1/rollback", admin, "{\"to_version\":42}"));
        expect(200, call("POST", "/api/v1/config/validate", admin, "application/toml", TOML_1));
        expect(422, call("POST", "/api/v1/config/validate", admin, "application/toml", INVALID));

        Exchange enrolment = expect(201, json("POST", "/api/v1/collectors/oa-1/enrolment-token", admin, ""));
        expect(401, json("POST", "/api/v1/collectors/register", none, "{}", "X-Registration-Secret", "not-the-secret-at-all"));
        Exchange registered = expect(201, json("POST", "/api/v1/collectors/register", none,
                "{\"name\":\"one\",\"hostname\":\"one.example\"}", "X-Enrolment-Token", field(enrolment, "enrolment_token")));
        Optional<String> collector = Optional.of(field(registered, "access_token"));
        String keyed = "{\"name\":\"oa-keyed\"}";
        String secret = ServerSettings.TEST_REGISTRATION_SECRET;
        expect(400, json("POST", "/api/v1/collectors/register", none, keyed, "X-Registration-Secret", secret,
                "Idempotency-Key", "short"));
        expect(201, json("POST", "/api/v1/collectors/register", none, keyed, "X-Registration-Secret", secret,
                "Idempotency-Key", "oa-registration-key-0001"));
        expect(201, json("POST", "/api/v1/collectors/register", none, keyed, "X-Registration-Secret", secret,
                "Idempotency-Key", "oa-registration-key-0001"));
        expect(422, json("POST", "/api/v1/collectors/register", none, "{\"name\":\"oa-other\"}",
                "X-Registration-Secret", secret, "Idempotency-Key", "oa-registration-key-0001"));
        expect(200, call("GET", "/api/v1/config/oa-1", collector, "", ""));
        expect(201, json("POST", "/api/v1/collectors", admin, "{\"id\":\"oa-2\"}"));
        expect(403, call("GET", "/api/v1/config/oa-2", collector, "", ""));
        expect(204, json("POST", "/api/v1/collectors/oa-1/status", collector,
                "{\"version\":3,\"status\":\"APPLIED\",\"error\":\"\",\"effective_sha256\":\"" + "0".repeat(64) + "\"}"));
        expect(400, json("POST", "/api/v1/collectors/oa-1/status", collector, "{\"version\":3,\"status\":\"MAYBE\"}"));
        String sample = "{\"name\":\"pg_up\",\"labels\":{\"db\":\"postgres\"},\"value\":1,\"ts\":\"" + Instant.now() + "\"}";
        expect(202, json("POST", "/api/v1/metrics/push", collector, "{\"batch_id\":\"batch-0001\",\"samples\":[" + sample + "]}"));
        expect(202, json("POST", "/api/v1/metrics/push", collector, "{\"batch_id\":\"batch-0001\",\"samples\":[" + sample + "]}"));
        expect(403, json("POST", "/api/v1/metrics/push", admin, "{\"batch_id\":\"batch-0002\",\"samples\":[]}"));
        expect(200, call("GET", "/api/v1/collectors/oa-1/metrics?name=pg_up&limit=10", admin, "", ""));
        String other = "{\"name\":\"pg_up\",\"labels\":{\"db\":\"other\"},\"value\":1,\"ts\":\"" + Instant.now() + "\"}";
        expect(202, json("POST", "/api/v1/metrics/push", collector, "{\"batch_id\":\"batch-0003\",\"samples\":[" + other + "]}"));
        String next = field(expect(200, call("GET", "/api/v1/collectors/oa-1/metrics?limit=1", admin, "", "")), "next");
        expect(200, call("GET", next, admin, "", ""));
        expect(400, call("GET", "/api/v1/collectors/oa-1/metrics?after=not-a-cursor", admin, "", ""));
        expect(200, call("GET", "/api/v1/collectors", admin, "", ""));
        expect(200, call("GET", "/api/v1/collectors?in_sync=false", admin, "", ""));
        expect(200, call("GET", "/api/v1/collectors?selector=env%3Dprod&limit=1", admin, "", ""));
        expect(400, call("GET", "/api/v1/collectors?limit=0", admin, "", ""));
        layers(admin, collector);
        rollouts(admin, collector);

        expect(201, json("POST", "/api/v1/users", admin,
                "{\"username\":\"oa-viewer\",\"password\":\"a-long-viewer-password\",\"role\":\"viewer\"}"));
        expect(409, json("POST", "/api/v1/users", admin,
                "{\"username\":\"oa-viewer\",\"password\":\"a-long-viewer-password\",\"role\":\"viewer\"}"));
        expect(200, call("GET", "/api/v1/users", admin, "", ""));
        expect(200, json("PATCH", "/api/v1/users/oa-viewer", admin, "{\"role\":\"operator\",\"enabled\":true}"));
        expect(404, json("PATCH", "/api/v1/users/oa-nobody", admin, "{\"enabled\":false}"));
        expect(200, call("GET", "/api/v1/audit?collector_id=oa-1&limit=50", admin, "", ""));
        expect(400, call("GET", "/api/v1/audit?since=yesterday", admin, "", ""));
        expect(201, json("POST", "/api/v1/auth/signing-keys", admin, ""));
        expect(204, json("POST", "/api/v1/collectors/oa-2/revoke", admin, ""));
        expect(404, json("POST", "/api/v1/collectors/oa-nobody/revoke", admin, ""));

        expect(200, call("GET", "/observe/health", none, "", ""));
        expect(200, call("GET", "/observe/health/ready", none, "", ""));
        expect(200, call("GET", "/observe/health/live", none, "", ""));
        expect(200, call("HEAD", "/observe/health", none, "", ""));
        expect(200, call("HEAD", "/observe/health/ready", none, "", ""));
        expect(200, call("HEAD", "/observe/health/live", none, "", ""));
        expect(200, call("GET", "/observe/metrics", none, "", ""));
    }

    /** Staged rollouts of a group's layer: start, read, the commands, and what they refuse. */
    private static void rollouts(Optional<String> admin, Optional<String> collector) throws Exception {
        expect(201, json("POST", "/api/v1/groups", admin, "{\"id\":\"oa-roll\",\"selector\":{\"env\":\"prod\"}}"));
        // oa-1 (env=prod) has reported, so it is not stale; it will not report again, so the wave waits.
        String start = "{\"layer\":\"group/oa-roll\",\"document\":\"[collector]\\npush_interval = 20\\n\","
                + "\"message\":\"slowly\",\"waves\":[{\"percent\":100}],\"bake_seconds\":0,\"apply_deadline_seconds\":600}";
        Exchange first = expect(201, json("POST", "/api/v1/rollouts", admin, start));
        String id = JSON.readTree(first.responseBody()).path("id").asString();
        expect(409, json("POST", "/api/v1/rollouts", admin, start));
        expect(409, call("PUT", "/api/v1/groups/oa-roll/config", admin, "application/toml", LAYER_1));
        expect(400, json("POST", "/api/v1/rollouts", admin, start.replace("100", "101")));
        expect(404, json("POST", "/api/v1/rollouts", admin, start.replace("oa-roll", "oa-nowhere")));
        expect(403, json("POST", "/api/v1/rollouts", collector, start));
        expect(200, call("GET", "/api/v1/rollouts", admin, "", ""));
        expect(200, call("GET", "/api/v1/rollouts?state=running&limit=5", admin, "", ""));
        expect(200, call("GET", "/api/v1/rollouts/" + id, admin, "", ""));
        expect(404, call("GET", "/api/v1/rollouts/999999", admin, "", ""));
        expect(403, call("GET", "/api/v1/rollouts/" + id, collector, "", ""));
        expect(200, json("POST", "/api/v1/rollouts/" + id + "/pause", admin, ""));
        expect(409, json("POST", "/api/v1/rollouts/" + id + "/pause", admin, ""));
        expect(200, json("POST", "/api/v1/rollouts/" + id + "/resume", admin, ""));
        expect(404, json("POST", "/api/v1/rollouts/999999/resume", admin, ""));
        expect(200, json("POST", "/api/v1/rollouts/" + id + "/promote", admin, ""));
        expect(409, json("POST", "/api/v1/rollouts/" + id + "/promote", admin, ""));
        expect(409, json("POST", "/api/v1/rollouts/" + id + "/abort", admin, ""));
        expect(422, json("POST", "/api/v1/rollouts", admin, start.replace("push_interval = 20", "push_interval = 0")));
        Exchange second = expect(201, json("POST", "/api/v1/rollouts", admin, start.replace("20", "21")));
        expect(200, json("POST", "/api/v1/rollouts/" + JSON.readTree(second.responseBody()).path("id").asString()
                + "/abort", admin, ""));
    }

    /** The fleet configuration layers: fleet and group layers, groups, labels, the own layer, decommissioning. */
    private static void layers(Optional<String> admin, Optional<String> collector) throws Exception {
        expect(200, call("GET", "/api/v1/config/oa-1/own", admin, "", ""));
        expect(304, call("GET", "/api/v1/config/oa-1/own", admin, "", "", "If-None-Match", "*"));
        expect(404, call("GET", "/api/v1/config/oa-2/own", admin, "", ""));
        expect(403, call("GET", "/api/v1/config/oa-1/own", collector, "", ""));

        layer("/api/v1/fleet/config", admin, collector);
        expect(201, json("POST", "/api/v1/groups", admin,
                "{\"id\":\"oa-prod\",\"selector\":{\"env\":\"prod\"},\"priority\":10,\"description\":\"production\"}"));
        expect(409, json("POST", "/api/v1/groups", admin, "{\"id\":\"oa-prod\"}"));
        expect(400, json("POST", "/api/v1/groups", admin, "{\"id\":\"oa-x\",\"colour\":\"red\"}"));
        expect(403, json("POST", "/api/v1/groups", collector, "{\"id\":\"oa-y\"}"));
        expect(200, call("GET", "/api/v1/groups", admin, "", ""));
        expect(200, call("GET", "/api/v1/groups/oa-prod", admin, "", ""));
        expect(404, call("GET", "/api/v1/groups/oa-nowhere", admin, "", ""));
        expect(200, json("PATCH", "/api/v1/groups/oa-prod", admin, "{\"priority\":20,\"description\":\"prod hosts\"}"));
        expect(400, json("PATCH", "/api/v1/groups/oa-prod", admin, "{\"id\":\"renamed\"}"));
        expect(404, json("PATCH", "/api/v1/groups/oa-nowhere", admin, "{\"priority\":1}"));
        expect(200, call("GET", "/api/v1/groups/oa-prod/members?limit=1", admin, "", ""));
        expect(404, call("GET", "/api/v1/groups/oa-nowhere/members", admin, "", ""));
        expect(404, call("PUT", "/api/v1/groups/oa-nowhere/config", admin, "application/toml", LAYER_1));
        layer("/api/v1/groups/oa-prod/config", admin, collector);

        // Both layers now reach oa-1: its effective configuration key by key, with sources.
        expect(200, call("GET", "/api/v1/config/oa-1", admin, "", ""));
        HttpResponse<String> merged = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + SERVER.port()
                + "/api/v1/config/oa-1")).header("Authorization", "Bearer " + admin.orElseThrow()).build(),
                HttpResponse.BodyHandlers.ofString());
        String sources = merged.headers().firstValue("X-Config-Sources").orElse("");
        assertTrue(sources.matches(description.at("/components/headers/X-Config-Sources/schema/pattern").asString())
                && sources.contains("fleet@") && sources.contains("group/oa-prod@"), sources);
        expect(200, call("GET", "/api/v1/collectors/oa-1/effective", admin, "", ""));
        expect(403, call("GET", "/api/v1/collectors/oa-2/effective", collector, "", ""));
        expect(404, call("GET", "/api/v1/collectors/oa-nobody/effective", admin, "", ""));

        // Changes that would make a member's effective document invalid are refused.
        expect(201, json("POST", "/api/v1/collectors", admin, "{\"id\":\"oa-3\",\"labels\":{\"tier\":\"plain\"}}"));
        expect(201, call("PUT", "/api/v1/config/oa-3", admin, "application/toml", PASSWORD_ENV));
        expect(201, json("POST", "/api/v1/groups", admin, "{\"id\":\"oa-files\",\"selector\":{\"tier\":\"files\"}}"));
        expect(201, call("PUT", "/api/v1/groups/oa-files/config", admin, "application/toml", PASSWORD_FILE));
        expect(422, json("PATCH", "/api/v1/collectors/oa-3", admin, "{\"labels\":{\"tier\":\"files\"}}"));
        expect(422, json("PATCH", "/api/v1/groups/oa-files", admin, "{\"selector\":{\"tier\":\"plain\"}}"));
        expect(200, json("PATCH", "/api/v1/collectors/oa-3", admin, "{\"labels\":{\"tier\":\"plain\",\"env\":\"prod\"}}"));
        expect(400, json("PATCH", "/api/v1/collectors/oa-3", admin, "{\"name\":\"three\"}"));
        expect(404, json("PATCH", "/api/v1/collectors/oa-nobody", admin, "{\"labels\":{}}"));
        expect(201, json("POST", "/api/v1/groups", admin, "{\"id\":\"oa-strict\",\"selector\":{\"tier\":\"plain\"}}"));
        expect(422, call("PUT", "/api/v1/groups/oa-strict/config", admin, "application/toml", PASSWORD_FILE));
        expect(204, call("DELETE", "/api/v1/groups/oa-strict", admin, "", ""));
        expect(404, call("DELETE", "/api/v1/groups/oa-strict", admin, "", ""));

        expect(201, json("POST", "/api/v1/collectors", admin, "{\"id\":\"oa-4\"}"));
        expect(403, call("DELETE", "/api/v1/collectors/oa-4", collector, "", ""));
        expect(200, call("GET", "/api/v1/collectors/oa-4", admin, "", ""));
        expect(403, call("GET", "/api/v1/collectors/oa-4", collector, "", ""));
        expect(204, call("DELETE", "/api/v1/collectors/oa-4", admin, "", ""));
        expect(404, call("DELETE", "/api/v1/collectors/oa-nobody", admin, "", ""));
        expect(404, call("GET", "/api/v1/collectors/oa-nobody", admin, "", ""));
        expect(410, call("GET", "/api/v1/collectors/oa-4", admin, "", ""));
        expect(410, json("POST", "/api/v1/collectors", admin, "{\"id\":\"oa-4\"}"));
        expect(410, call("GET", "/api/v1/config/oa-4", admin, "", ""));
        expect(410, json("PATCH", "/api/v1/collectors/oa-4", admin, "{\"labels\":{}}"));
        expect(410, call("DELETE", "/api/v1/collectors/oa-4", admin, "", ""));
        expect(410, json("POST", "/api/v1/collectors/oa-4/revoke", admin, ""));
        expect(410, call("PUT", "/api/v1/config/oa-4", admin, "application/toml", "[collector]\npush_interval = 20\n"));
        expect(410, json("POST", "/api/v1/config/oa-4/rollback", admin, "{\"to_version\":1}"));
        expect(410, call("GET", "/api/v1/config/oa-4/own", admin, "", ""));
        expect(410, call("GET", "/api/v1/collectors/oa-4/effective", admin, "", ""));
    }

    /** Uses one layer (fleet or a group) the way operators do: publish, compare-and-swap, read, history, diff, rollback. */
    private static void layer(String base, Optional<String> admin, Optional<String> collector) throws Exception {
        expect(404, call("GET", base, admin, "", ""));
        expect(422, call("PUT", base, admin, "application/toml", INVALID));
        Exchange v1 = expect(201, call("PUT", base, admin, "application/toml", LAYER_1, "X-Change-Message", "defaults"));
        expect(200, call("PUT", base, admin, "application/toml", LAYER_1));
        expect(201, call("PUT", base, admin, "text/plain", LAYER_2, "If-Match", field(v1, "etag")));
        expect(412, call("PUT", base, admin, "application/toml", LAYER_1, "If-Match", field(v1, "etag")));
        expect(415, call("PUT", base, admin, "application/json", "{}"));
        expect(403, call("PUT", base, collector, "application/toml", LAYER_1));
        expect(200, call("GET", base, admin, "", ""));
        expect(304, call("GET", base, admin, "", "", "If-None-Match", "*"));
        expect(200, call("GET", base + "/versions?limit=1", admin, "", ""));
        expect(200, call("GET", base + "/versions/1", admin, "", ""));
        expect(404, call("GET", base + "/versions/9", admin, "", ""));
        expect(200, call("GET", base + "/diff?from=1&to=2", admin, "", ""));
        expect(400, call("GET", base + "/diff?from=x&to=2", admin, "", ""));
        expect(201, json("POST", base + "/rollback", admin, "{\"to_version\":1,\"message\":\"back\"}"));
        expect(200, json("POST", base + "/rollback", admin, "{\"to_version\":1}"));
        expect(404, json("POST", base + "/rollback", admin, "{\"to_version\":42}"));
    }

    private static Optional<Map.Entry<String, JsonNode>> operation(String method, String path) {
        String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        Iterator<Map.Entry<String, JsonNode>> it = description.path("paths").properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String regex = Pattern.quote(e.getKey()).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q");
            if (bare.matches(regex) && e.getValue().has(method.toLowerCase(Locale.ROOT))) {
                return Optional.of(Map.entry(e.getKey(), e.getValue().path(method.toLowerCase(Locale.ROOT))));
            }
        }
        return Optional.empty();
    }

    private static JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            node = description.at(node.path("$ref").asString().substring(1));
        }
        return node;
    }

    /** The schema at a JSON pointer of the description, with its references resolved inside the description. */
    private static Schema schemaAt(String pointer) {
        return COMPILED.computeIfAbsent(pointer, p -> {
            ObjectNode wrapper = JSON.createObjectNode();
            wrapper.put("$schema", "https://json-schema.org/draft/2020-12/schema");
            wrapper.put("$ref", "#" + p);
            wrapper.set("components", description.path("components"));
            wrapper.set("paths", description.path("paths"));
            return SCHEMAS.getSchema(SchemaLocation.of("https://pgfleet.io/openapi.json"), wrapper);
        });
    }

    private static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    private static String mediaType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /** What is wrong with one exchange according to the description; empty when it conforms. */
    private static List<String> check(Exchange e) {
        List<String> problems = new ArrayList<>();
        Optional<Map.Entry<String, JsonNode>> found = operation(e.method(), e.path());
        if (found.isEmpty()) {
            problems.add(e + ": no such operation in the description");
            return problems;
        }
        String template = found.get().getKey();
        JsonNode op = found.get().getValue();
        String opPointer = "/paths/" + escape(template) + "/" + e.method().toLowerCase(Locale.ROOT);
        if (!e.requestBody().isEmpty() && mediaType(e.requestType()).equals("application/json") && e.status() < 400) {
            JsonNode body = op.path("requestBody").path("content").path("application/json");
            if (body.isMissingNode()) {
                problems.add(e + ": a JSON request body is not described");
            } else {
                List<Error> errors = schemaAt(opPointer + "/requestBody/content/application~1json/schema")
                        .validate(JSON.readTree(e.requestBody()));
                errors.forEach(err -> problems.add(e + ": request " + err));
            }
        }
        JsonNode response = op.path("responses").path(Integer.toString(e.status()));
        if (response.isMissingNode()) {
            problems.add(e + ": status " + e.status() + " is not described");
            return problems;
        }
        String responsePointer = opPointer + "/responses/" + e.status();
        if (response.has("$ref")) {
            responsePointer = response.path("$ref").asString().substring(1);
            response = resolve(response);
        }
        if (e.responseBody().isEmpty()) {
            return problems;
        }
        String type = mediaType(e.responseType());
        if (!response.path("content").has(type)) {
            problems.add(e + ": answers " + type + ", described: " + response.path("content").propertyNames());
            return problems;
        }
        if (type.endsWith("json")) {
            List<Error> errors = schemaAt(responsePointer + "/content/" + escape(type) + "/schema")
                    .validate(JSON.readTree(e.responseBody()));
            errors.forEach(err -> problems.add(e + ": answer " + err + " in " + e.responseBody()));
        }
        return problems;
    }

    @Test
    void everyExchangeOfARealSessionIsDescribedAndMatchesItsSchemas() throws Exception {
        description = JSON.readTree(call("GET", "/api/v1/openapi.json", Optional.empty(), "", "").responseBody());
        assertEquals("3.1.0", description.path("openapi").asString());
        session();
        List<String> problems = new ArrayList<>();
        for (Exchange e : EXCHANGES) {
            problems.addAll(check(e));
        }
        assertEquals(List.of(), problems);
        assertTrue(EXCHANGES.size() > 60, "a real session: " + EXCHANGES.size());
        // The session used every described operation.
        List<String> unused = new ArrayList<>();
        description.path("paths").properties().forEach(p -> p.getValue().propertyNames().forEach(m -> {
            boolean used = EXCHANGES.stream().anyMatch(x -> x.method().equalsIgnoreCase(m)
                    && operation(x.method(), x.path()).map(Map.Entry::getKey).orElse("").equals(p.getKey()));
            if (!used) {
                unused.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey());
            }
        }));
        assertEquals(List.of(), unused);
    }

    @Test
    void anAnswerThatBreaksItsSchemaIsCaught() throws Exception {
        description = JSON.readTree(call("GET", "/api/v1/openapi.json", Optional.empty(), "", "").responseBody());
        Exchange fake = new Exchange("PUT", "/api/v1/config/x", "application/toml", TOML_1, 201, "application/json",
                "{\"collector_id\":\"x\",\"version\":\"one\",\"etag\":\"\\\"1-ab\\\"\"}");
        List<String> problems = check(fake);
        assertFalse(problems.isEmpty());
        assertTrue(problems.stream().anyMatch(p -> p.contains("version")), problems.toString());
        Exchange undescribed = new Exchange("GET", "/api/v1/config/x/versions", "", "", 418, "application/json", "{}");
        assertEquals(List.of(undescribed + ": status 418 is not described"), check(undescribed));
        Exchange wrongProblem = new Exchange("GET", "/api/v1/config/x", "", "", 404, "application/problem+json",
                "{\"type\":\"about:blank\",\"status\":404}");
        assertFalse(check(wrongProblem).isEmpty());
    }
}
