package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped jar on its embedded PostgreSQL: it starts, serves, stops, and keeps its data. */
class ServerJarIT {

    @Test
    void embeddedDatabaseKeepsEverythingAcrossARestart(@TempDir Path dataDir) throws Exception {
        String doc = aDocument().pushInterval(15).toml();
        String etag;
        long firstPid;
        try (ServerProcess server = ServerProcess.start(dataDir, Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD))) {
            firstPid = server.pid();
            ApiClient api = ApiClient.asAdmin(server.port());
            assertEquals(201, api.createCollector("db-01").statusCode());
            HttpResponse<String> put = api.putToml("/api/v1/config/db-01", doc);
            assertEquals(201, put.statusCode(), put.body());
            etag = put.headers().firstValue("ETag").orElseThrow();
        }
        assertTrue(Files.isDirectory(dataDir.resolve("postgres")), "the data lives under PGFLEET_DATA_DIR");
        assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false));

        try (ServerProcess server = ServerProcess.start(dataDir, Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD))) {
            ApiClient api = ApiClient.asAdmin(server.port());
            HttpResponse<String> get = api.get("/api/v1/config/db-01");
            assertEquals(200, get.statusCode(), get.body());
            assertEquals(doc, get.body());
            assertEquals(etag, get.headers().firstValue("ETag").orElseThrow());
            HttpResponse<String> next = api.putToml("/api/v1/config/db-01", aDocument().pushInterval(16).toml());
            assertEquals("2", next.headers().firstValue("X-Config-Version").orElseThrow());
        }
    }

    @Test
    void aPostgresKilledUnderTheServerComesBackAndStopsWithTheServer(@TempDir Path dataDir) throws Exception {
        long postmaster;
        try (ServerProcess server = ServerProcess.start(dataDir, Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD))) {
            ApiClient api = ApiClient.asAdmin(server.port());
            assertEquals(201, api.createCollector("db-01").statusCode());
            postmaster = postmasterPid(dataDir);
            ProcessHandle killed = ProcessHandle.of(postmaster).orElseThrow();
            killed.destroyForcibly();
            // Gone before the first request: one answered by the dying PostgreSQL would end the wait
            // early, and the next read could then meet it away.
            killed.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            java.net.http.HttpResponse<String> list;
            while ((list = api.get("/api/v1/collectors")).statusCode() != 200) {
                assertEquals(503, list.statusCode(), "only 503 while PostgreSQL is away");
                assertTrue(System.nanoTime() < deadline, "the server answers again within a minute");
                Thread.sleep(250);
            }
            assertTrue(list.body().contains("db-01"), "its data is still there: " + list.body());
            postmaster = postmasterPid(dataDir);
        }
        // The server's stop ends PostgreSQL for good: nothing starts it again behind the exiting JVM.
        long pid = postmaster;
        Thread.sleep(5_000);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(Files.exists(dataDir.resolve("postgres/postmaster.pid")), "no PostgreSQL left running on the data directory");
    }

    @Test
    void aStopBySigtermClosesWhatUsesTheDatabaseBeforeTheDatabaseAndWarnsOfNothing(@TempDir Path dataDir) throws Exception {
        ServerProcess server = ServerProcess.start(dataDir, Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD));
        ServerProcess.Failed stopped;
        try {
            ApiClient api = ApiClient.asAdmin(server.port());
            assertEquals(201, api.createCollector("db-01").statusCode());
            assertEquals(201, api.putToml("/api/v1/config/db-01", aDocument().pushInterval(15).toml()).statusCode());
        } finally {
            stopped = server.stop();
        }
        // 128 + SIGTERM: the JVM's status once its shutdown hooks have run to their end.
        assertEquals(143, stopped.exit(), stopped.output());
        // PostgreSQL stopped while the server still used it: it ended the LISTEN connection (which
        // reported itself lost and reconnected) and the pool's connections.
        assertFalse(stopped.output().contains("LISTEN connection lost"), stopped.output());
        assertFalse(stopped.output().contains("terminating connection due to administrator command"), stopped.output());
        assertTrue(stopped.output().lines().noneMatch(l -> l.contains(" WARNING ") || l.contains(" SEVERE ")),
                "nothing to warn of in a stop:\n" + stopped.output());
        assertTrue(stopped.output().contains("Shutdown completed"), "the pool's last line is there:\n" + stopped.output());
    }

    @Test
    void theCommandsPrintTheirOwnLinesWithoutTheLibrariesProgress(@TempDir Path dataDir, @TempDir Path backups)
            throws Exception {
        Path backup = backups.resolve("pgfleet.backup");
        Map<String, String> env = Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD);
        try (ServerProcess server = ServerProcess.start(dataDir, env)) {
            assertEquals(201, ApiClient.asAdmin(server.port()).createCollector("db-01").statusCode());
        }
        // Each starts the embedded PostgreSQL of the stopped server (restore a fresh one too, and
        // runs the migrations): initdb's, Flyway's and the pool's INFO lines are not the command's.
        ServerProcess.Failed backedUp = ServerProcess.runCommand(dataDir, Map.of(), "", "backup", backup.toString());
        assertEquals(0, backedUp.exit(), backedUp.output());
        assertOnlyOwnLines(backedUp, "pgfleet backup: wrote ");
        ServerProcess.Failed restored = ServerProcess.runCommand(dataDir, Map.of(), "", "restore", backup.toString());
        assertEquals(0, restored.exit(), restored.output());
        assertOnlyOwnLines(restored, "pgfleet restore: restored ");
        // Its advice for agents registered after the backup works as given: their ids are not in the
        // restored database, so a token for one ('enrol') is refused until it is created again.
        assertTrue(restored.output().contains("create each again under its id ('pgfleet collectors create ID'), then"
                + " issue it a token ('pgfleet collectors enrol ID')"), restored.output());
        ServerProcess.Failed reset = ServerProcess.runCommand(dataDir, Map.of(), "recovered-admin-password\n",
                "reset-admin-password", "--user", "admin", "--password-stdin");
        assertEquals(0, reset.exit(), reset.output());
        assertOnlyOwnLines(reset, "pgfleet reset-admin-password: reset the password of administrator 'admin'");
        // Errors still show: a restore refused says why in its own words.
        ServerProcess.Failed refused = ServerProcess.runCommand(dataDir, Map.of(), "", "restore",
                backups.resolve("none.backup").toString());
        assertEquals(1, refused.exit(), refused.output());
        assertTrue(refused.output().startsWith("pgfleet restore: "), refused.output());
    }

    private static void assertOnlyOwnLines(ServerProcess.Failed run, String result) {
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith(result)), run.output());
        assertEquals(java.util.List.of(), run.output().lines()
                        .filter(l -> !l.isBlank() && !l.startsWith("pgfleet") && !l.startsWith(" ")).toList(),
                "only the command's lines:\n" + run.output());
    }

    private static long postmasterPid(Path dataDir) throws java.io.IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(0).strip());
    }
}
