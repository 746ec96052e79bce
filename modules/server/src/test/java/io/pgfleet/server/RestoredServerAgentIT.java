package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.regex.Pattern;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real agent process through its server's restore from an older copy of the database: the agent
 * had applied revisions the restored database never saw, and the next revisions the restored server
 * publishes reuse those numbers with other content. The agent must run what the server serves now,
 * without a restart, and the fleet view must show it in sync.
 */
class RestoredServerAgentIT {

    /** Long enough for the agent's back-off to reach a server that was away for a moment. */
    private static final Duration SOON = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private PgfleetServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The same PostgreSQL server's database copied whole, as a backup of that moment would restore it. */
    private static TestDatabase copyOf(TestDatabase db, String name) throws Exception {
        String source = db.url().replaceAll("^.*/([^/?]+)(\\?.*)?$", "$1");
        String maintenance = db.url().replace("/" + source, "/postgres");
        try (Connection c = DriverManager.getConnection(maintenance, db.user(), db.password());
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name);
            s.execute("CREATE DATABASE " + name + " TEMPLATE " + source);
        }
        return new TestDatabase(db.url().replace("/" + source, "/" + name), db.user(), db.password());
    }

    private static ServerSettings on(TestDatabase db, Path dir, int port) {
        return ServerSettings.forDatabase(db.url(), db.user(), db.password(), dir).withPort(port).withWarmupRounds(0);
    }

    @Test
    void anAgentAheadOfARestoredServerRunsWhatTheServerServesAndTakesItsReusedRevisions() throws Exception {
        TestDatabase live = TestPostgres.newDatabase();
        TestDatabase monitored = TestPostgres.newDatabase();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        server = PgfleetServer.start(on(live, dir.resolve("server"), port));
        ApiClient admin = ApiClient.asAdmin(port);
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), port)) {
            int line = agent.await("registered as collector ", SOON);
            String id = agent.output().lines().skip(line).findFirst().orElseThrow()
                    .replaceAll(".*registered as collector ", "").trim();
            String backedUp = monitoring(monitored).pgStats(false, 60).sysstatEvery(5).toml();
            assertEquals(201, admin.putToml("/api/v1/config/" + id, backedUp).statusCode());
            line = agent.await(Pattern.compile("applied configuration version 1 "), line, SOON);

            // The backup: the whole database as it is now, at revision 1 (no server using it meanwhile).
            server.close();
            server = null;
            TestDatabase backup = copyOf(live, "pgfleet_restored_" + ProcessHandle.current().pid());
            server = PgfleetServer.start(on(live, dir.resolve("server"), port));
            assertEquals(201, admin.putToml("/api/v1/config/" + id,
                    monitoring(monitored).pgStats(false, 60).sysstatEvery(2).toml()).statusCode());
            assertEquals(201, admin.putToml("/api/v1/config/" + id,
                    monitoring(monitored).pgStats(false, 60).sysstatEvery(3).toml()).statusCode());
            line = agent.await(Pattern.compile("applied configuration version 3 "), line, SOON);

            // The restore: the server comes back on the copy of revision 1, on the same address.
            server.close();
            server = PgfleetServer.start(on(backup, dir.resolve("server"), port));
            line = agent.await(Pattern.compile("applied configuration version 1 "), line, SOON);

            // The restored server's next publish is revision 2 again, with content the agent never ran.
            String reused = monitoring(monitored).pgStats(false, 60).sysstatEvery(4).toml();
            HttpResponse<String> published = admin.putToml("/api/v1/config/" + id, reused);
            assertEquals(201, published.statusCode(), published.body());
            assertEquals("2", published.headers().firstValue("X-Config-Version").orElseThrow());
            agent.await(Pattern.compile("applied configuration version 2 .*sysstat now every 4 s"), line, SOON);
            awaitInSync(admin, id);
            assertTrue(agent.alive(), "the agent was never restarted");
        }
    }

    /** The fleet view agrees: the collector runs exactly the server's effective document. */
    private static void awaitInSync(ApiClient admin, String id) throws Exception {
        long deadline = System.nanoTime() + SOON.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = admin.get("/api/v1/collectors?in_sync=true");
            last = r.body();
            if (r.statusCode() == 200 && last.contains("\"id\":\"" + id + "\"")) {
                assertTrue(last.replace(" ", "").contains("\"applied_version\":2"), last);
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the collector never showed in sync: " + admin.get("/api/v1/collectors").body());
    }
}
