package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Users and collectors are two namespaces: a collector may carry the id {@code admin}, and revoking
 * it must not log the administrator out (nor the reverse).
 */
class SubjectNamespaceIT {

    private static TestDatabase database;
    private static PgfleetServer server;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        server = TestServers.start(database);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void revokingACollectorNamedAdminKeepsTheAdminUsersRefreshTokens() {
        ApiClient admin = new ApiClient(server.port());
        HttpResponse<String> login = admin.login("admin", ServerSettings.TEST_ADMIN_PASSWORD);
        assertEquals(200, login.statusCode(), login.body());
        String userRefresh = ApiClient.field(login.body(), "refresh_token");

        assertEquals(201, admin.createCollector("admin").statusCode());
        String enrolment = admin.postJson("/api/v1/collectors/admin/enrolment-token", "{}").body();
        String token = enrolment.replaceAll(".*\"(enrolment_token|token)\":\"([^\"]+)\".*", "$2");
        ApiClient agent = new ApiClient(server.port());
        HttpResponse<String> registered = agent.send(agent.request("/api/v1/collectors/register")
                .header("Content-Type", "application/json").header("X-Enrolment-Token", token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"admin\",\"hostname\":\"h\"}")));
        assertEquals(201, registered.statusCode(), registered.body());
        String collectorRefresh = ApiClient.field(registered.body(), "refresh_token");

        assertEquals(204, admin.postJson("/api/v1/collectors/admin/revoke", "{}").statusCode());

        HttpResponse<String> userRefreshed = new ApiClient(server.port()).postJson("/api/v1/auth/refresh",
                "{\"refresh_token\":\"" + userRefresh + "\"}");
        assertEquals(200, userRefreshed.statusCode(), "the admin user's refresh token survives: " + userRefreshed.body());
        HttpResponse<String> collectorRefreshed = new ApiClient(server.port()).postJson("/api/v1/auth/refresh",
                "{\"refresh_token\":\"" + collectorRefresh + "\"}");
        assertEquals(401, collectorRefreshed.statusCode(), "the revoked collector's refresh token is dead");
    }
}
