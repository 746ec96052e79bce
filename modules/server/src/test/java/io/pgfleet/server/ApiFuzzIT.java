package io.pgfleet.server;

import io.pgfleet.testing.ConfigCorpus;
import io.pgfleet.testing.Fuzz;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing of the real HTTP API on a real PostgreSQL: random and mutated TOML and JSON bodies never
 * get a 5xx, and a refused request stores nothing (no version, audit row, collector, status or
 * sample). Inputs are seeded ({@link Fuzz}: a failure names its seed for replay); tries are bounded
 * so the suite stays fast; the nastiest inputs are kept in {@code src/test/resources/api-corpus}
 * and replayed on every run.
 */
class ApiFuzzIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final Path CORPUS = Path.of("src", "test", "resources", "api-corpus");

    private static ApiClient admin;
    private static ApiClient agent;
    private static String collector;
    private static String agentId;
    private static Connection counting;

    @BeforeAll
    static void start() throws SQLException {
        counting = SERVER.database().connect();
        admin = ApiClient.asAdmin(SERVER.port());
        collector = "fuzzed";
        assertEquals(201, admin.createCollector(collector).statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/" + collector, aDocument().pushInterval(5).toml()).statusCode());
        assertEquals(201, admin.putToml("/api/v1/config/" + collector, aDocument().pushInterval(6).toml()).statusCode());
        agent = new ApiClient(SERVER.port());
        HttpResponse<String> r = agent.send(agent.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"fuzz-agent\"}")));
        assertEquals(201, r.statusCode(), r.body());
        agent.useToken(ApiClient.field(r.body(), "access_token"));
        agentId = ApiClient.field(r.body(), "collector_id");
    }

    @AfterAll
    static void stop() throws SQLException {
        counting.close();
    }

    /** What a request could have stored. */
    record Stored(long revisions, long audit, long collectors, long users, String statuses, long samples) {
    }

    private static Stored stored() {
        try (Statement s = counting.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT (SELECT count(*) FROM config_revisions), (SELECT count(*) FROM audit_log),
                       (SELECT count(*) FROM collectors), (SELECT count(*) FROM users),
                       (SELECT count(*) || ':' || coalesce(string_agg(last_attempted || last_status || last_error || reported_at::text, ','), '')
                        FROM collector_status),
                       (SELECT count(*) FROM samples)""")) {
            rs.next();
            return new Stored(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getString(5),
                    rs.getLong(6));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends a request; never a 5xx, and a refusal leaves storage as it was. */
    private static HttpResponse<String> sendChecked(ApiClient client, HttpRequest.Builder request, String what) {
        Stored before = stored();
        HttpResponse<String> r = client.send(request);
        assertTrue(r.statusCode() < 500, what + " → " + r.statusCode() + " " + r.body());
        if (r.statusCode() >= 400) {
            assertEquals(before, stored(), what + " was refused (" + r.statusCode() + ") yet something was stored");
        }
        return r;
    }

    private static void putAndValidate(String doc) {
        String what = "TOML " + abbreviate(doc);
        sendChecked(admin, admin.request("/api/v1/config/" + collector).header("Content-Type", "application/toml")
                .PUT(HttpRequest.BodyPublishers.ofString(doc)), "PUT " + what);
        Stored before = stored();
        sendChecked(admin, admin.request("/api/v1/config/validate").header("Content-Type", "application/toml")
                .POST(HttpRequest.BodyPublishers.ofString(doc)), "validate " + what);
        assertEquals(before, stored(), "validation stores nothing");
    }

    /** A JSON endpoint: the caller, method and path, and a valid body to mutate. */
    enum Target {
        ROLLBACK("POST", "/api/v1/config/%s/rollback", "{\"to_version\": %s, \"message\": %s}", "1", "\"undo\""),
        PROVISION("POST", "/api/v1/collectors", "{\"id\": %s, \"name\": %s, \"labels\": {\"env\": %s}}", "\"c-1\"", "\"n\"", "\"prod\""),
        STATUS("POST", "/api/v1/collectors/%s/status",
                "{\"version\": %s, \"status\": %s, \"error\": %s, \"effective_sha256\": %s}",
                "1", "\"FAILED\"", "\"disk full\"", "\"" + "b".repeat(64) + "\""),
        PUSH("POST", "/api/v1/metrics/push",
                "{\"batch_id\": %s, \"samples\": [{\"name\": %s, \"labels\": {\"db\": %s}, \"value\": %s, \"ts\": %s}]}",
                "\"b-fuzz-000001\"", "\"pg_up\"", "\"postgres\"", "1", "\"2026-11-29T10:00:00Z\""),
        USER("PATCH", "/api/v1/users/admin", "{\"enabled\": %s}", "true");

        final String method;
        final String path;
        final String template;
        final List<String> defaults;

        Target(String method, String path, String template, String... defaults) {
            this.method = method;
            this.path = path;
            this.template = template;
            this.defaults = List.of(defaults);
        }

        ApiClient client() {
            return this == STATUS || this == PUSH ? agent : admin;
        }

        String resolvedPath() {
            return path.contains("%s") ? path.formatted(this == STATUS ? agentId : collector) : path;
        }
    }

    private static HttpResponse<String> sendJson(Target t, String body) {
        ApiClient c = t.client();
        return sendChecked(c, c.request(t.resolvedPath()).header("Content-Type", "application/json")
                .method(t.method, HttpRequest.BodyPublishers.ofString(body)), t + " " + abbreviate(body));
    }

    private static String abbreviate(String s) {
        return Fuzz.shown(s);
    }

    private static void fuzz(int tries, Consumer<Random> oneTry) {
        long seed = Fuzz.seed();
        Random random = new Random(seed);
        for (int i = 0; i < Fuzz.tries(tries); i++) {
            try {
                oneTry.accept(random);
            } catch (AssertionError | RuntimeException e) {
                fail("try " + i + " of seed " + seed + " (replay with -Dpgfleet.fuzz.seed=" + seed + ")", e);
            }
        }
    }

    @Test
    void mutatedTomlNeverAnswers5xxAndRefusalsStoreNothing() {
        List<String> seeds = List.of(ConfigCorpus.SPEC_EXAMPLE, aDocument().pushInterval(9).toml());
        fuzz(80, r -> putAndValidate(r.nextInt(3) == 0 ? Fuzz.soup(r, TOML_TOKENS, 60)
                : Fuzz.mutate(r, seeds.get(r.nextInt(seeds.size())), TOML_TOKENS, 5)));
    }

    @Test
    void mutatedJsonNeverAnswers5xxAndRefusalsStoreNothing() {
        fuzz(150, r -> {
            Target target = Target.values()[r.nextInt(Target.values().length)];
            List<Object> slots = new ArrayList<>();
            for (String usual : target.defaults) {
                slots.add(r.nextBoolean() ? usual : jsonValue(r));
            }
            String body = target.template.formatted(slots.toArray());
            if (r.nextInt(4) == 0) {
                body = Fuzz.mutate(r, body, JSON_TOKENS, 3);
            }
            sendJson(target, body);
        });
    }

    @Test
    void theCorpusOfNastyBodiesIsAnsweredCleanly() {
        List<Path> files;
        try (Stream<Path> s = Files.list(CORPUS)) {
            files = s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(files.size() >= 8, "corpus at " + CORPUS.toAbsolutePath());
        for (Path f : files) {
            String name = f.getFileName().toString();
            String body;
            try {
                body = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (name.endsWith(".toml")) {
                putAndValidate(body);
            } else {
                Target t = Target.valueOf(name.substring(0, name.indexOf("--")).toUpperCase(java.util.Locale.ROOT));
                HttpResponse<String> r = sendJson(t, body);
                assertTrue(r.statusCode() >= 400, name + " is refused: " + r.statusCode() + " " + r.body());
            }
        }
    }

    /** JSON values that hurt: NUL, lone surrogates, instants out of range, huge and deep values. */
    private static final List<String> NASTY_JSON = List.of("\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\uffff\"",
            "\"+300000-01-01T00:00:00Z\"", "\"-300000-01-01T00:00:00Z\"", "\"0000-01-01T00:00:00Z\"", "1e400", "-1e400",
            "9223372036854775808", "-9223372036854775809", "0", "-1", "2147483648", "1.5", "null", "true", "[]", "{}",
            "\"\"", "\"" + "x".repeat(5_000) + "\"", "[".repeat(3_000) + "]".repeat(3_000),
            "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_000), "\"APPLIED\"", "\"FAILED\"", "\"b-fuzz-000002\"",
            "\"2026-11-29T10:00:00Z\"", "\"pg bad name\"", "\"é\"", "\"\\\"\"", "{\"\\u0000\": \"x\"}");

    private static final List<String> JSON_TOKENS = List.of("{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\u0000",
            "null", "1", "\"x\":1,", " ");

    private static final List<String> TOML_TOKENS = List.of("[", "]", "{", "}", "=", ".", ",", "\"", "'", "#", "\n",
            "\\u0000", "\u0000", "\uD800", "1", "-1", "99999999999999999999", "1e999", "true", "2026-11-29T10:00:00Z",
            "collector", "postgres", "push_interval", "password", "[".repeat(5_000), "{a=".repeat(2_000), "a.".repeat(5_000),
            "\"\"\"", "é");

    private static String jsonValue(Random r) {
        return r.nextInt(6) == 0 ? jakarta.json.Json.createValue(Fuzz.unicode(r, 30)).toString()
                : NASTY_JSON.get(r.nextInt(NASTY_JSON.size()));
    }
}
