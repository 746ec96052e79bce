package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Predicate;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pg_stat_statements collector with real agent processes and real PostgreSQL, both ways: the
 * test database lacks the extension (the server refuses, force delivers, the agent fails the version
 * with the reason), and a PostgreSQL that preloads and has it (the agent applies and collects).
 */
class PgStatStatementsAgentIT {

    private static final Duration SOON = Duration.ofSeconds(30);

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static EmbeddedPostgres preloaded;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPreloaded() throws Exception {
        // The embedded binaries ship the extension; it needs the library preloaded, hence a server of its own.
        preloaded = EmbeddedPostgres.builder().setServerConfig("shared_preload_libraries", "pg_stat_statements").start();
        try (Connection c = preloaded.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION pg_stat_statements");
        }
    }

    @AfterAll
    static void stopPreloaded() throws Exception {
        preloaded.close();
    }

    private static String register(AgentProcess agent) throws InterruptedException {
        int line = agent.await("registered as collector ", SOON);
        return agent.output().lines().skip(line).findFirst().orElseThrow().replaceAll(".*registered as collector ", "").trim();
    }

    private static String statements(int top) {
        return "\n[collectors.pg_stat_statements]\nenabled = true\ninterval = 1\ntop = " + top + "\n";
    }

    private static String entry(String id) {
        // The collector's own entry, as the fleet view shows it (GET /api/v1/collectors/{id}).
        java.net.http.HttpResponse<String> r = SERVER.admin().get("/api/v1/collectors/" + id);
        assertEquals(200, r.statusCode(), id + ": " + r.body());
        return r.body();
    }

    private static String awaitEntry(String id, Predicate<String> done) throws InterruptedException {
        long deadline = System.nanoTime() + SOON.toNanos();
        String e;
        do {
            e = entry(id);
            if (done.test(e)) {
                return e;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the fleet entry never got there: " + e);
    }

    @Test
    void refusedWhereTheExtensionIsMissingFailedWhenForcedAndCollectedWhereItIs() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        TestDatabase preloadedDb = new TestDatabase(preloaded.getJdbcUrl("postgres", "postgres"), "postgres", "");
        // One agent process for both paths (a process start is the expensive part): it first monitors the
        // test database, which lacks the extension, then the server that has it.
        try (AgentProcess agent = AgentProcess.start(dir.resolve("agent"), SERVER.port())) {
            String id = register(agent);
            assertEquals(201, SERVER.admin().putToml("/api/v1/config/" + id, monitoring(db).toml()).statusCode());
            agent.await("applied configuration version 1 ", SOON);
            awaitEntry(id, e -> e.contains("\"server_version_num\":"));

            String withStatements = monitoring(db).toml() + statements(3);
            HttpResponse<String> refused = SERVER.admin().putToml("/api/v1/config/" + id, withStatements);
            assertEquals(422, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("pg_stat_statements") && refused.body().contains(id), refused.body());

            assertEquals(201, SERVER.admin().putToml("/api/v1/config/" + id + "?force=true", withStatements).statusCode());
            agent.await("could not apply configuration version 2: this host lacks what the configuration needs: "
                    + ".*the extension pg_stat_statements in database", SOON);
            String failed = awaitEntry(id, x -> x.contains("\"apply_status\":\"FAILED\""));
            assertTrue(failed.contains("\"apply_error\":\"this host lacks what the configuration needs"), failed);
            assertTrue(failed.contains("\"capability\":\"extension\""), "the fleet view marks it: " + failed);

            // Facts about the test database say nothing about the other server: not refused, and applied there.
            assertEquals(201, SERVER.admin().putToml("/api/v1/config/" + id,
                    monitoring(preloadedDb).toml() + statements(3)).statusCode());
            agent.await("applied configuration version 3 ", SOON);
            String applied = awaitEntry(id, x -> x.contains("\"apply_status\":\"APPLIED\"")
                    && x.contains("\"shared_preload_libraries\":[\"pg_stat_statements\"]"));
            assertTrue(applied.contains("\"capability_gaps\":[]"), applied);

            long deadline = System.nanoTime() + SOON.toNanos();
            int statements;
            do {
                statements = count(id);
                Thread.sleep(200);
            } while (statements == 0 && System.nanoTime() < deadline);
            assertTrue(statements > 0, "pg_stat_statements samples stored");

            // A role's password, as pg_stat_statements keeps a utility statement: its text reaches
            // viewers as a sample label, but not the password.
            try (Connection c = preloaded.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE ROLE leaky LOGIN PASSWORD 'Hunter2-role-secret'");
            }
            assertEquals(201, SERVER.admin().putToml("/api/v1/config/" + id,
                    monitoring(preloadedDb).toml() + statements(100)).statusCode());
            String role = "CREATE ROLE leaky LOGIN PASSWORD '?'";
            deadline = System.nanoTime() + SOON.toNanos();
            String samples;
            do {
                Thread.sleep(200);
                samples = SERVER.admin().get("/api/v1/collectors/" + id
                        + "/metrics?name=pg_stat_statements_calls_total&limit=10000").body();
            } while (!samples.contains(role) && System.nanoTime() < deadline);
            assertTrue(samples.contains(role), "the statement is collected, its constant hidden: " + samples);
            assertEquals(0, SERVER.database().count("SELECT count(*) FROM samples WHERE labels::text LIKE '%Hunter2%'"),
                    "the password is stored nowhere");
        }
    }

    private static int count(String id) throws Exception {
        try (Connection c = SERVER.database().connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(max(n), 0) FROM (SELECT ts, count(*) AS n FROM samples WHERE collector_id = ?"
                        + " AND name = 'pg_stat_statements_calls_total' GROUP BY ts) per_collection")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int n = rs.getInt(1);
                assertTrue(n <= 3, "at most top = 3 statements per collection, got " + n);
                return n;
            }
        }
    }
}
