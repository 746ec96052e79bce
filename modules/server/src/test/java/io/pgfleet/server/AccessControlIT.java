package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every route of the API with no token, with each role's token and with a foreign collector's
 * token: 401, 403 or 2xx exactly as the role model says.
 */
class AccessControlIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    enum Caller { NOBODY, VIEWER, OPERATOR, ADMIN, SELF_COLLECTOR, FOREIGN_COLLECTOR }

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static ApiClient admin;
    private static final Map<Caller, String> TOKENS = new java.util.EnumMap<>(Caller.class);
    private static String self;
    private static String foreign;
    private static String foreignDocument;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
        TOKENS.put(Caller.NOBODY, "");
        TOKENS.put(Caller.ADMIN, admin.token());
        for (Caller c : List.of(Caller.VIEWER, Caller.OPERATOR)) {
            String name = c.name().toLowerCase();
            assertEquals(201, admin.postJson("/api/v1/users", "{\"username\":\"" + name
                    + "\",\"password\":\"password-of-" + name + "\",\"role\":\"" + name + "\"}").statusCode());
            ApiClient client = new ApiClient(SERVER.port());
            assertEquals(200, client.login(name, "password-of-" + name).statusCode());
            TOKENS.put(c, client.token());
        }
        self = register(Caller.SELF_COLLECTOR);
        foreign = register(Caller.FOREIGN_COLLECTOR);
        assertEquals(201, admin.putToml("/api/v1/config/" + self, aDocument().pushInterval(1).toml()).statusCode());
        foreignDocument = "[collector]\npush_interval = 3333\n";
        assertEquals(201, admin.putToml("/api/v1/config/" + foreign, foreignDocument).statusCode());
    }

    private static String register(Caller c) {
        HttpResponse<String> r = new ApiClient(SERVER.port()).send(new ApiClient(SERVER.port())
                .request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + c + "\",\"hostname\":\"h\"}")));
        assertEquals(201, r.statusCode(), r.body());
        TOKENS.put(c, ApiClient.field(r.body(), "access_token"));
        return ApiClient.field(r.body(), "collector_id");
    }


    /** A route, how to call it, and the least caller that may. */
    record Route(String name, String method, Supplier<String> path, String contentType, Supplier<String> body,
                 List<Caller> allowed) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static List<Caller> viewerAndUp() {
        return List.of(Caller.VIEWER, Caller.OPERATOR, Caller.ADMIN);
    }

    private static List<Caller> operatorAndUp() {
        return List.of(Caller.OPERATOR, Caller.ADMIN);
    }

    static List<Route> routes() {
        List<Route> r = new ArrayList<>();
        List<Caller> readConfig = new ArrayList<>(viewerAndUp());
        readConfig.add(Caller.SELF_COLLECTOR);
        r.add(new Route("GET config", "GET", () -> "/api/v1/config/" + self, "", () -> "", readConfig));
        r.add(new Route("PUT config", "PUT", () -> "/api/v1/config/" + self, "application/toml",
                () -> aDocument().pushInterval(100 + COUNTER.incrementAndGet()).toml(), operatorAndUp()));
        r.add(new Route("GET versions", "GET", () -> "/api/v1/config/" + self + "/versions", "", () -> "", viewerAndUp()));
        r.add(new Route("GET version", "GET", () -> "/api/v1/config/" + self + "/versions/1", "", () -> "", viewerAndUp()));
        r.add(new Route("GET diff", "GET", () -> "/api/v1/config/" + self + "/diff?from=1&to=1", "", () -> "", viewerAndUp()));
        r.add(new Route("POST rollback", "POST", () -> "/api/v1/config/" + self + "/rollback", "application/json",
                () -> "{\"to_version\": 1}", operatorAndUp()));
        r.add(new Route("POST validate", "POST", () -> "/api/v1/config/validate", "application/toml",
                () -> "[collector]\nwatch = true\n", viewerAndUp()));
        r.add(new Route("POST collectors", "POST", () -> "/api/v1/collectors", "application/json",
                () -> "{\"id\": \"pre-" + COUNTER.incrementAndGet() + "\"}", operatorAndUp()));
        r.add(new Route("POST enrolment token", "POST", () -> "/api/v1/collectors/" + self + "/enrolment-token",
                "application/json", () -> "", operatorAndUp()));
        r.add(new Route("POST revoke collector", "POST", () -> {
            String victim = "victim-" + COUNTER.incrementAndGet();
            admin.postJson("/api/v1/collectors", "{\"id\": \"" + victim + "\"}");
            return "/api/v1/collectors/" + victim + "/revoke";
        }, "application/json", () -> "", operatorAndUp()));
        r.add(new Route("POST users", "POST", () -> "/api/v1/users", "application/json",
                () -> "{\"username\":\"u" + COUNTER.incrementAndGet() + "\",\"password\":\"a-long-password\",\"role\":\"viewer\"}",
                List.of(Caller.ADMIN)));
        r.add(new Route("GET users", "GET", () -> "/api/v1/users", "", () -> "", List.of(Caller.ADMIN)));
        r.add(new Route("PATCH user", "PATCH", () -> "/api/v1/users/viewer", "application/json",
                () -> "{\"enabled\": true}", List.of(Caller.ADMIN)));
        r.add(new Route("GET audit", "GET", () -> "/api/v1/audit", "", () -> "", List.of(Caller.ADMIN)));
        r.add(new Route("GET collectors (fleet)", "GET", () -> "/api/v1/collectors", "", () -> "", viewerAndUp()));
        r.add(new Route("POST status", "POST", () -> "/api/v1/collectors/" + self + "/status", "application/json",
                () -> "{\"version\": 1, \"status\": \"APPLIED\", \"effective_sha256\": \"" + "a".repeat(64) + "\"}",
                List.of(Caller.SELF_COLLECTOR)));
        r.add(new Route("POST metrics push", "POST", () -> "/api/v1/metrics/push", "application/json",
                () -> "{\"batch_id\": \"batch-" + COUNTER.incrementAndGet() + "-x\", \"samples\": [{\"name\": \"up\","
                        + " \"labels\": {}, \"value\": 1, \"ts\": \"2026-11-29T10:00:00Z\"}]}",
                List.of(Caller.SELF_COLLECTOR, Caller.FOREIGN_COLLECTOR)));
        r.add(new Route("GET samples", "GET", () -> "/api/v1/collectors/" + self + "/metrics", "", () -> "", viewerAndUp()));
        r.add(new Route("POST signing key", "POST", () -> "/api/v1/auth/signing-keys", "application/json", () -> "",
                List.of(Caller.ADMIN)));
        return r;
    }

    static Stream<Arguments> routesAndCallers() {
        return routes().stream().flatMap(route -> Stream.of(Caller.values()).map(c -> Arguments.of(route, c)));
    }

    private static HttpResponse<String> call(Route route, Caller caller) {
        ApiClient client = new ApiClient(SERVER.port());
        client.useToken(TOKENS.get(caller));
        HttpRequest.Builder b = client.request(route.path().get());
        if (!route.contentType().isEmpty()) {
            b.header("Content-Type", route.contentType());
        }
        String body = route.body().get();
        b.method(route.method(), body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b);
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("routesAndCallers")
    void everyRouteAnswersAsTheRoleModelSays(Route route, Caller caller) {
        HttpResponse<String> r = call(route, caller);
        if (caller == Caller.NOBODY) {
            assertEquals(401, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        } else if (route.allowed().contains(caller)) {
            assertTrue(r.statusCode() >= 200 && r.statusCode() < 300, caller + " → " + r.statusCode() + " " + r.body());
        } else {
            assertEquals(403, r.statusCode(), r.body());
            assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElseThrow());
        }
    }

    @Test
    void aCollectorCannotReadAnotherCollectorsConfiguration() {
        ApiClient asSelf = new ApiClient(SERVER.port());
        asSelf.useToken(TOKENS.get(Caller.SELF_COLLECTOR));
        HttpResponse<String> r = asSelf.get("/api/v1/config/" + foreign);
        assertEquals(403, r.statusCode());
        assertFalse(r.body().contains("3333"), "the foreign document must not leak: " + r.body());
        assertFalse(r.headers().firstValue("ETag").isPresent());
        HttpResponse<String> own = asSelf.get("/api/v1/config/" + self);
        assertEquals(200, own.statusCode());
        assertEquals(403, asSelf.get("/api/v1/config/" + foreign + "/versions/1").statusCode());
    }

    @Test
    void passwordsAndTokensAreStoredOnlyAsHashes() throws Exception {
        HttpResponse<String> login = new ApiClient(SERVER.port()).login("operator", "password-of-operator");
        String refresh = ApiClient.field(login.body(), "refresh_token");
        String enrolment = admin.postJson("/api/v1/collectors/" + self + "/enrolment-token", "").body();
        String enrolmentToken = enrolment.replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT username, password_hash FROM users")) {
                while (rs.next()) {
                    String hash = rs.getString(2);
                    assertTrue(hash.startsWith("pbkdf2-sha256$600000$"), hash);
                    assertFalse(hash.contains("password-of"), hash);
                    assertFalse(hash.contains(ServerSettings.TEST_ADMIN_PASSWORD), hash);
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM refresh_tokens WHERE token_hash = '"
                    + io.pgfleet.domain.common.Sha256.hex(refresh) + "'")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "the refresh token is stored as its SHA-256");
            }
            for (String table : List.of("refresh_tokens", "enrolment_tokens", "server_secrets")) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table + " t WHERE t::text LIKE '%"
                        + refresh + "%' OR t::text LIKE '%" + enrolmentToken + "%' OR t::text LIKE '%"
                        + ServerSettings.TEST_REGISTRATION_SECRET + "%'")) {
                    rs.next();
                    assertEquals(0, rs.getInt(1), "no clear token in " + table);
                }
            }
        }
    }
}
