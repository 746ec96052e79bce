package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.server.DatabaseWaits.awaitCondition;
import static io.pgfleet.server.DatabaseWaits.waitingForALock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database that hangs (every PostgreSQL process stopped with SIGSTOP: a frozen host, a network path
 * lost without a reset) fails requests with {@code 503} after the statement timeout instead of
 * holding them for as long as it hangs; readiness answers {@code 503 DOWN} with the reason; what was
 * in flight is rolled back; and once the database runs again the server serves again, with no
 * restart. Over real HTTP and the server's own embedded PostgreSQL.
 */
class FrozenDatabaseIT {

    /** Short, so that the test shows a bounded answer long before the HTTP client's own 30 s. */
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(2);
    /** The layers lock's key (LayerPersistenceAdapter.LAYERS_LOCK); a fleet-layer publish takes it first. */
    private static final long LAYERS_LOCK = 0x7067666c6c617972L;

    @Test
    void aFrozenDatabaseIsAnswered503WithinTheStatementTimeoutChangesNothingAndIsServedAgainAfter(@TempDir Path dataDir)
            throws Exception {
        ServerSettings settings = new ServerSettings("127.0.0.1", 0, dataDir, Optional.empty(), "postgres", "", 4,
                Optional.of(ServerSettings.TEST_ADMIN_PASSWORD), Optional.of(ServerSettings.TEST_REGISTRATION_SECRET),
                Duration.ofMinutes(15), TlsSettings.none()).withWarmupRounds(0).withDbStatementTimeout(STATEMENT_TIMEOUT);
        try (PgfleetServer server = PgfleetServer.start(settings)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            ApiClient anonymous = new ApiClient(server.port());
            assertEquals(201, admin.createCollector("db-01").statusCode());
            String password = Files.readString(dataDir.resolve("postgres-password")).strip();
            try (Connection holder = DriverManager.getConnection(server.databaseUrl(), "postgres", password)) {
                // The publish's statement is in the database, waiting, when the database freezes: the
                // case a pool wait does not bound (its connection was handed out already).
                advisory(holder, "pg_advisory_lock");
                CompletableFuture<HttpResponse<String>> publish = CompletableFuture.supplyAsync(
                        () -> admin.putToml("/api/v1/fleet/config", "# every host\n[collector]\nwatch = false\n"));
                awaitCondition(() -> waitingForALock(holder, "advisory") > 0, "the publish waits in the database");
                List<ProcessHandle> frozen = freeze(postmaster(dataDir));
                try {
                    // The client's own timeout is 30 s: without a bound of the server's, this fails with it.
                    HttpResponse<String> answered = publish.get(60, TimeUnit.SECONDS);
                    assertEquals(503, answered.statusCode(), answered.body());
                    assertTrue(answered.body().contains("/problems/storage-unavailable"), answered.body());
                    assertEquals("5", answered.headers().firstValue("Retry-After").orElse(""));

                    HttpResponse<String> health = anonymous.get("/observe/health");
                    assertEquals(503, health.statusCode(), health.body());
                    assertTrue(health.body().contains("\"DOWN\""), health.body());
                    assertTrue(health.body().matches("(?s).*\"detail\":\"[^\"]+\".*"), "with the reason: " + health.body());

                    HttpResponse<String> read = admin.get("/api/v1/collectors?limit=1");
                    assertEquals(503, read.statusCode(), "a request after the freeze: " + read.body());
                } finally {
                    resume(frozen);
                }
                advisory(holder, "pg_advisory_unlock");
            }
            awaitCondition(() -> admin.get("/api/v1/collectors?limit=1").statusCode() == 200, "the server serves again");
            awaitCondition(() -> anonymous.get("/observe/health").statusCode() == 200, "the server is ready again");
            assertEquals(404, admin.get("/api/v1/fleet/config").statusCode(), "the publish that failed changed nothing");
            assertEquals(201, admin.putToml("/api/v1/fleet/config", "# every host\n[collector]\nwatch = false\n").statusCode(),
                    "and publishing works again");
        }
    }

    private static void advisory(Connection c, String function) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + function + "(?)")) {
            s.setLong(1, LAYERS_LOCK);
            s.execute();
        }
    }


    private static ProcessHandle postmaster(Path dataDir) throws java.io.IOException {
        long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(0).strip());
        return ProcessHandle.of(pid).orElseThrow();
    }

    /** Stops the postmaster and every process of it (backends, checkpointer, …): it neither answers nor fails. */
    private static List<ProcessHandle> freeze(ProcessHandle postmaster) throws Exception {
        // The postmaster first: stopped, it forks no backend (the pool filling up, a health check's
        // connection) between the listing of its processes and their stop, which would answer for it.
        signal("STOP", List.of(postmaster));
        List<ProcessHandle> all = new ArrayList<>();
        all.add(postmaster);
        List<ProcessHandle> children = postmaster.descendants().toList();
        signal("STOP", children);
        all.addAll(children);
        return all;
    }

    private static void resume(List<ProcessHandle> frozen) throws Exception {
        signal("CONT", frozen);
    }

    private static void signal(String signal, List<ProcessHandle> processes) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        processes.forEach(p -> command.add(Long.toString(p.pid())));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + command);
    }

}
