package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real agent process applies a change of a group's layer live: the operator changes the group,
 * not the collector, and the agent's watch brings the new effective document within seconds.
 */
class GroupChangeEndToEndIT {

    private static final Duration SOON = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private TestDatabase db;
    private PgfleetServer server;
    private ApiClient admin;

    @BeforeEach
    void startServer() {
        db = TestPostgres.newDatabase();
        server = PgfleetServer.start(ServerSettings.forDatabase(db.url(), db.user(), db.password(), dir.resolve("server"))
                .withWarmupRounds(0));
        admin = ApiClient.asAdmin(server.port());
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static void accepted(HttpResponse<String> r) {
        assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.statusCode() + " " + r.body());
    }

    @Test
    void anAgentAppliesAGroupChangeLiveAndReportsTheServersEffectiveHash() throws Exception {
        // The agent's local file labels it env=test: it joins this group when it registers.
        accepted(admin.postJson("/api/v1/groups", "{\"id\":\"test-hosts\",\"selector\":{\"env\":\"test\"},\"priority\":1}"));
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), server.port())) {
            int line = agent.await("registered as collector ", SOON);
            String id = agent.output().lines().skip(line).findFirst().orElseThrow()
                    .replaceAll(".*registered as collector ", "").trim();
            accepted(admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(true, 60).toml()));
            agent.await("applied configuration version 1 ", SOON);
            long pid = agent.pid();

            // The collector's own document does not mention pg_locks (off by default): the group turns it on.
            accepted(admin.putToml("/api/v1/groups/test-hosts/config", "[collectors.pg_locks]\nenabled = true\ninterval = 1\n"));

            agent.await("applied configuration version 2 without a restart: .*pg_locks started", SOON);
            assertEquals(pid, agent.pid(), "same process: no restart");
            HttpResponse<String> effective = admin.get("/api/v1/config/" + id);
            assertEquals("2", effective.headers().firstValue("X-Config-Version").orElseThrow());
            assertEquals("group/test-hosts@1, collector@1", effective.headers().firstValue("X-Config-Sources").orElseThrow());
            // The agent reports the hash of what it runs; the server agrees it runs the effective document.
            long deadline = System.nanoTime() + SOON.toNanos();
            String fleet;
            do {
                fleet = admin.get("/api/v1/collectors?in_sync=true").body();
                if (fleet.contains("\"id\":\"" + id + "\"") && fleet.contains("\"applied_version\":2")) {
                    break;
                }
                Thread.sleep(200);
            } while (System.nanoTime() < deadline);
            assertTrue(fleet.contains("\"id\":\"" + id + "\"") && fleet.contains("\"applied_version\":2"), fleet);
        }
    }
}
