package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fleet never loses its last enabled administrator, not even to two concurrent demotions. */
class LastAdministratorIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();




    @Test
    void theLastAdministratorCannotDemoteOrDisableItself() throws SQLException {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        HttpResponse<String> demote = patch(admin, "admin", "{\"role\":\"viewer\"}");
        assertEquals(409, demote.statusCode(), demote.body());
        assertTrue(demote.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
        HttpResponse<String> disable = patch(admin, "admin", "{\"enabled\":false}");
        assertEquals(409, disable.statusCode(), disable.body());
        assertEquals(List.of("admin"), enabledAdministrators());
        assertEquals(200, admin.get("/api/v1/users").statusCode(), "still an administrator");
    }

    @Test
    void concurrentDemotionsOfTheLastTwoAdministratorsDoNotBothSucceed() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"second\",\"password\":\"second-admin-password\",\"role\":\"admin\"}").statusCode());
        ApiClient second = new ApiClient(SERVER.port());
        assertEquals(200, second.login("second", "second-admin-password").statusCode());
        for (int round = 0; round < 5; round++) {
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() -> {
                await(go);
                return patch(admin, "second", "{\"role\":\"viewer\"}");
            });
            CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(() -> {
                await(go);
                return patch(second, "admin", "{\"role\":\"viewer\"}");
            });
            go.countDown();
            int ok = (a.get().statusCode() == 200 ? 1 : 0) + (b.get().statusCode() == 200 ? 1 : 0);
            List<String> left = enabledAdministrators();
            assertEquals(1, left.size(), "round " + round + ": exactly one administrator is left, got " + left);
            assertEquals(1, ok, "round " + round + ": exactly one demotion succeeded");
            // The survivor makes the other an administrator again for the next round.
            ApiClient survivor = left.get(0).equals("admin") ? admin : second;
            String other = left.get(0).equals("admin") ? "second" : "admin";
            assertEquals(200, patch(survivor, other, "{\"role\":\"admin\"}").statusCode());
        }
        // Leave 'admin' as the only administrator, as the other test expects.
        assertEquals(200, patch(admin, "second", "{\"enabled\":false}").statusCode());
    }

    private static void await(CountDownLatch go) {
        try {
            go.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> patch(ApiClient client, String user, String json) {
        return client.send(client.request("/api/v1/users/" + user).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    private static List<String> enabledAdministrators() throws SQLException {
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT username FROM users WHERE role = 'admin' AND enabled ORDER BY 1")) {
            List<String> names = new java.util.ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            return names;
        }
    }
}
