package io.pgfleet.server;

import io.pgfleet.application.port.in.WarmUpUseCase;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The warm-up at start, on a real server and PostgreSQL: it runs after the server is ready, leaves
 * nothing in the database, can be turned off, stops when the server does and gives way to the first
 * real publish, even one served before its first round.
 */
class WarmUpIT {

    @Test
    void theWarmUpLeavesNoRowInAnyTableAndNoAuditEntry() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        // The rollout driver's first tick (which takes its lease) after the test: only the warm-up runs.
        ServerSettings settings = TestServers.settings(db).withRollouts(RolloutDriverSettings.defaults()
                .withLease(Duration.ofMinutes(10)).withTick(Duration.ofMinutes(1)));
        // A first start (without warm-up) makes what every start makes: the administrator, keys, secrets.
        try (PgfleetServer server = PgfleetServer.start(settings.withWarmupRounds(0))) {
            assertEquals(0, server.warmedUp().toCompletableFuture().get(5, TimeUnit.SECONDS).rounds());
        }
        Map<String, String> before = contents(db);
        WarmUpUseCase.Warmed warmed;
        try (PgfleetServer server = PgfleetServer.start(settings.withWarmupRounds(100))) {
            warmed = server.warmedUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        assertEquals(100, warmed.rounds());
        assertEquals(WarmUpUseCase.Ending.COMPLETED, warmed.ending());
        assertEquals(before, contents(db), "every table, row by row, as the start without warm-up left it");
    }

    @Test
    void theWarmUpCanBeTurnedOff() throws Exception {
        try (PgfleetServer server = PgfleetServer.start(TestServers.settings(TestPostgres.newDatabase())
                .withWarmupRounds(0))) {
            WarmUpUseCase.Warmed warmed = server.warmedUp().toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(0, warmed.rounds());
            assertFalse(warmUpThreadAlive(), "no warm-up thread runs");
        }
    }

    @Test
    void theWarmUpStopsWhenTheServerStops() throws Exception {
        PgfleetServer server = PgfleetServer.start(TestServers.settings(TestPostgres.newDatabase())
                .withWarmupRounds(WarmUpUseCase.MAX_ROUNDS));
        try {
            assertTrue(warmUpThreadAlive(), "the warm-up runs in the background once the server is ready");
        } finally {
            server.close();
        }
        // close() has returned: the warm-up has ended, long before its 100,000 rounds.
        WarmUpUseCase.Warmed warmed = server.warmedUp().toCompletableFuture().getNow(null);
        assertTrue(warmed != null && warmed.ending() == WarmUpUseCase.Ending.INTERRUPTED
                        && warmed.rounds() < WarmUpUseCase.MAX_ROUNDS, "stopped at shutdown: " + warmed);
        assertFalse(warmUpThreadAlive());
    }

    @Test
    void theWarmUpGivesWayToTheFirstPublish() throws Exception {
        // 100,000 rounds would keep half a core busy for minutes; the first publish ends them.
        try (PgfleetServer server = PgfleetServer.start(TestServers.settings(TestPostgres.newDatabase())
                .withWarmupRounds(WarmUpUseCase.MAX_ROUNDS))) {
            assertTrue(warmUpThreadAlive(), "the warm-up runs in the background once the server is ready");
            ApiClient admin = ApiClient.asAdmin(server.port());
            java.net.http.HttpResponse<String> published = admin.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 30\n");
            assertEquals(201, published.statusCode(), published.body());
            WarmUpUseCase.Warmed warmed = server.warmedUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(WarmUpUseCase.Ending.WORK_ARRIVED, warmed.ending(), warmed.toString());
            assertTrue(warmed.rounds() < WarmUpUseCase.MAX_ROUNDS, warmed.toString());
        }
    }

    @Test
    void aPublishServedBeforeTheWarmUpsFirstRoundEndsIt() throws Exception {
        // The warm-up's thread held before its first round, as a busy machine may hold it after "ready":
        // the publish is served first, and the warm-up must still give way to it.
        CountDownLatch published = new CountDownLatch(1);
        try (PgfleetServer server = PgfleetServer.start(TestServers.settings(TestPostgres.newDatabase())
                .withWarmupRounds(40), () -> awaitOrInterrupt(published))) {
            java.net.http.HttpResponse<String> r = ApiClient.asAdmin(server.port())
                    .putToml("/api/v1/fleet/config", "[collector]\npush_interval = 30\n");
            assertEquals(201, r.statusCode(), r.body());
            published.countDown();

            WarmUpUseCase.Warmed warmed = server.warmedUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(WarmUpUseCase.Ending.WORK_ARRIVED, warmed.ending(), warmed.toString());
            assertEquals(0, warmed.rounds(), "not one round after the publish: " + warmed);
        }
    }

    private static void awaitOrInterrupt(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            // The server closes (the test failed): the warm-up sees the interrupt and stops.
            Thread.currentThread().interrupt();
        }
    }

    private static boolean warmUpThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals(StartupWarmUp.THREAD_NAME) && t.isAlive());
    }

    /**
     * Every table of the schema: its rows, as text, in order; of {@code server_secrets} only the names,
     * since every start stores the configured registration secret again (a new salt and time).
     */
    private static Map<String, String> contents(TestDatabase db) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet r = s.executeQuery("SELECT quote_ident(table_name) FROM information_schema.tables"
                    + " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")) {
                while (r.next()) {
                    tables.add(r.getString(1));
                }
            }
            for (String t : tables) {
                String row = t.equals("server_secrets") ? "x.name" : "x::text";
                try (ResultSet r = s.executeQuery("SELECT count(*) || ' rows, ' || coalesce(md5(string_agg(" + row
                        + ", ',' ORDER BY " + row + ")), '') FROM " + t + " x")) {
                    r.next();
                    out.put(t, r.getString(1));
                }
            }
        }
        return out;
    }
}
