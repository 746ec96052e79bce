package io.pgfleet.server;

import io.pgfleet.testing.PathPrefixProxy;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The API behind a reverse proxy that mounts the server under a path prefix
 * ({@code https://ops.example/pgfleet/} → the server's {@code /}), as a generic HTTP client uses it:
 * the {@code Location} of every resource an answer creates, resolved against the URL that was asked
 * (RFC 9110 §10.2.2), is that resource under the prefix. An absolute path there led the client to the
 * host's root, outside the proxy.
 */
class PathPrefixIT {

    private static final String PREFIX = "/pgfleet";

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static PathPrefixProxy proxy;
    private static ApiClient admin;

    @BeforeAll
    static void serverBehindAPrefix() throws IOException {
        proxy = PathPrefixProxy.start(PREFIX, SERVER.port());
        admin = new ApiClient("http://127.0.0.1:" + proxy.port() + PREFIX);
        assertEquals(200, admin.login("admin", ServerSettings.TEST_ADMIN_PASSWORD).statusCode());
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void everyCreatedResourcesLocationResolvesToItUnderThePrefix() {
        HttpResponse<String> collector = admin.createCollector("located-1");
        assertEquals("located-1", json(read(collector, "/api/v1/collectors/located-1")).getString("id"));

        HttpResponse<String> published = admin.putToml("/api/v1/config/located-1", Documents.aDocument().pushInterval(31).toml());
        assertEquals("1", version(read(published, "/api/v1/config/located-1/versions/1")));
        assertEquals(201, admin.putToml("/api/v1/config/located-1", Documents.aDocument().pushInterval(32).toml()).statusCode());
        HttpResponse<String> rolledBack = admin.postJson("/api/v1/config/located-1/rollback", "{\"to_version\":1}");
        assertEquals("3", version(read(rolledBack, "/api/v1/config/located-1/versions/3")));

        HttpResponse<String> group = admin.postJson("/api/v1/groups", "{\"id\":\"located\",\"selector\":{\"site\":\"x\"},\"priority\":1}");
        assertEquals("located", json(read(group, "/api/v1/groups/located")).getString("id"));
        HttpResponse<String> groupLayer = admin.putToml("/api/v1/groups/located/config", "[collector]\npush_interval = 45\n");
        assertEquals("1", version(read(groupLayer, "/api/v1/groups/located/config/versions/1")));
        HttpResponse<String> fleet = admin.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 50\n");
        String fleetVersion = json(fleet).get("version").toString();
        assertEquals(fleetVersion, version(read(fleet, "/api/v1/fleet/config/versions/" + fleetVersion)));

        ApiClient agent = new ApiClient(admin.base());
        HttpResponse<String> registered = agent.register("{\"name\":\"located-agent\",\"labels\":{}}",
                "X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET);
        String id = ApiClient.field(registered.body(), "collector_id");
        assertEquals(id, json(read(registered, "/api/v1/collectors/" + id)).getString("id"));

        // A user is changed at its Location (PATCH); there is no read of one user alone.
        HttpResponse<String> user = admin.postJson("/api/v1/users",
                "{\"username\":\"located-user\",\"password\":\"located-password-1\",\"role\":\"viewer\"}");
        String userPath = resolved(user, "/api/v1/users/located-user");
        HttpResponse<String> disabled = admin.send(admin.request(userPath).header("Content-Type", "application/json")
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"enabled\":false}")));
        assertEquals(200, disabled.statusCode(), disabled.body());

        assertEquals(java.util.List.of(), proxy.outsidePrefix(), "requests past the prefix");
    }

    /**
     * Resolves a {@code 201}'s {@code Location} against the URL asked, as a generic client does.
     *
     * @return the API path it resolved to, under the prefix
     */
    private static String resolved(HttpResponse<String> created, String expected) {
        assertEquals(201, created.statusCode(), created.body());
        String location = created.headers().firstValue("Location").orElseThrow();
        URI resolved = created.uri().resolve(location);
        assertEquals(URI.create(admin.base() + expected), resolved, "Location " + location + " asked at " + created.uri());
        return resolved.getRawPath().substring(PREFIX.length());
    }

    /** Reads the created resource where its {@code Location} leads, through the proxy. */
    private static HttpResponse<String> read(HttpResponse<String> created, String expected) {
        HttpResponse<String> read = admin.get(resolved(created, expected));
        assertEquals(200, read.statusCode(), read.body());
        return read;
    }

    private static String version(HttpResponse<String> read) {
        return read.headers().firstValue("X-Config-Version").orElseThrow();
    }

    private static JsonObject json(HttpResponse<String> r) {
        try (var reader = Json.createReader(new StringReader(r.body()))) {
            return reader.readObject();
        }
    }
}
