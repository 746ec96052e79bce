package io.pgfleet.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A configuration's lists are bounded to what an agent parses and collects within its heap: the
 * field test's 87 KB document of 4,000 paths is refused before it is stored, naming the key, the
 * count and the bound at its line and column; a list at the bound is published. Its strings are bounded
 * as PostgreSQL and the operating system count them (a role name, a path), in bytes.
 */
class ConfigListBoundsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static ApiClient api;

    @BeforeAll
    static void start() {
        api = ApiClient.asAdmin(SERVER.port());
    }

    private static String paths(int count) {
        StringBuilder doc = new StringBuilder("[collectors.disk_usage]\npaths = [\n");
        for (int i = 0; i < count; i++) {
            doc.append("  \"/srv/postgres/tenant-").append(i).append("\",\n");
        }
        return doc.append("]\n").toString();
    }

    @Test
    void aListBeyondTheBoundIsRefusedAndNothingStoredWhileOneAtTheBoundIsPublished() {
        assertEquals(201, api.createCollector("bounded-1").statusCode());
        HttpResponse<String> refused = api.putToml("/api/v1/config/bounded-1", paths(4_000));
        assertEquals(422, refused.statusCode(), refused.body());
        String body = refused.body();
        assertTrue(body.contains("\"key\":\"collectors.disk_usage.paths\"") && body.contains("\"line\":2,\"column\":1")
                && body.contains("lists 4000 entries; at most 256 are accepted"), body);
        assertEquals(404, api.get("/api/v1/config/bounded-1").statusCode(), "nothing stored");

        assertEquals(201, api.putToml("/api/v1/config/bounded-1", paths(256)).statusCode());
    }

    @Test
    void rejectsARoleNameBeyondNamedatalenAndAPasswordFileBeyondPathMaxWithLineAndColumnWhenNew() {
        assertEquals(201, api.createCollector("bounded-2").statusCode());
        // 64 bytes of UTF-8 in 32 characters: PostgreSQL would cut it to a role that is not the one named.
        HttpResponse<String> user = api.putToml("/api/v1/config/bounded-2",
                "[postgres]\nport = 5433\nuser = \"" + "é".repeat(32) + "\"\n");
        assertEquals(422, user.statusCode(), user.body());
        assertTrue(user.body().contains("\"key\":\"postgres.user\"") && user.body().contains("\"line\":3,\"column\":1")
                && user.body().contains("is 64 bytes long; at most 63 are accepted"), user.body());
        HttpResponse<String> file = api.putToml("/api/v1/config/bounded-2",
                "[postgres]\npassword_file = \"/" + "p".repeat(5_000) + "\"\n");
        assertEquals(422, file.statusCode(), file.body());
        assertTrue(file.body().contains("\"key\":\"postgres.password_file\"") && file.body().contains("\"line\":2,\"column\":1")
                && file.body().contains("is 5001 bytes long; at most 4096 are accepted"), file.body());
        assertEquals(404, api.get("/api/v1/config/bounded-2").statusCode(), "nothing stored");

        assertEquals(201, api.putToml("/api/v1/config/bounded-2", "[postgres]\nuser = \"" + "r".repeat(63)
                + "\"\npassword_env = \"" + "E".repeat(255) + "\"\n").statusCode());
    }
}
