package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Two server instances on one database accept each other's tokens, across a key rotation too. */
class TwoInstancesIT {

    @Test
    void instancesAcceptEachOthersTokens() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings settings = TestServers.settings(db);
        try (PgfleetServer a = PgfleetServer.start(settings); PgfleetServer b = PgfleetServer.start(settings)) {
            ApiClient onA = ApiClient.asAdmin(a.port());
            ApiClient onB = new ApiClient(b.port());
            onB.useToken(onA.token());
            assertEquals(200, onB.get("/api/v1/users").statusCode(), "A's user token works on B");

            HttpResponse<String> registered = onB.send(new ApiClient(b.port()).request("/api/v1/collectors/register")
                    .header("Content-Type", "application/json")
                    .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"db-1\"}")));
            assertEquals(201, registered.statusCode(), registered.body());
            String id = ApiClient.field(registered.body(), "collector_id");
            assertEquals(201, onA.putToml("/api/v1/config/" + id, aDocument().toml()).statusCode());
            ApiClient collectorOnA = new ApiClient(a.port());
            collectorOnA.useToken(ApiClient.field(registered.body(), "access_token"));
            assertEquals(200, collectorOnA.get("/api/v1/config/" + id).statusCode(), "B's collector token works on A");

            String refreshFromB = ApiClient.field(registered.body(), "refresh_token");
            HttpResponse<String> refreshedOnA = new ApiClient(a.port()).postJson("/api/v1/auth/refresh",
                    "{\"refresh_token\":\"" + refreshFromB + "\"}");
            assertEquals(200, refreshedOnA.statusCode(), "B's refresh token works on A");

            String oldToken = onA.token();
            HttpResponse<String> rotated = onA.postJson("/api/v1/auth/signing-keys", "");
            assertEquals(201, rotated.statusCode());
            ApiClient freshOnA = ApiClient.asAdmin(a.port());
            assertNotEquals(header(oldToken), header(freshOnA.token()), "A signs with the new key");
            onB.useToken(freshOnA.token());
            assertEquals(200, onB.get("/api/v1/users").statusCode(), "B learns A's new key");
            onB.useToken(oldToken);
            assertEquals(200, onB.get("/api/v1/users").statusCode(), "tokens of the old key stay valid until they expire");
        }
    }

    private static String header(String jwt) {
        return new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[0]));
    }
}
