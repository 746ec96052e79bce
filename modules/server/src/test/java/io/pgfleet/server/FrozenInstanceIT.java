package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An instance frozen in the middle of a fleet-layer change (a VM paused, its host lost without a
 * reset: to PostgreSQL its connection stays open and silent) holds the change's locks in an open
 * transaction. PostgreSQL ends that transaction once it has been idle for the frozen instance's
 * {@code db_statement_timeout}, so the other instances' layer changes go through instead of
 * failing for as long as the host stays away; nothing of the frozen instance's change is stored,
 * and it answers 503 when it comes back.
 */
class FrozenInstanceIT {

    /** The frozen instance's: its transaction, left idle, ends after this. */
    private static final Duration FROZEN_TIMEOUT = Duration.ofSeconds(4);

    @Test
    void aLayerChangeOfAnotherInstanceGoesThroughOnceTheFrozenInstancesTransactionIsEnded(@TempDir Path dataDir)
            throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        // The surviving instance waits for a lock longer than the frozen one's transaction may stay idle.
        try (PgfleetServer survivor = PgfleetServer.start(TestServers.settings(db)
                .withDbStatementTimeout(Duration.ofSeconds(20)));
             ServerProcess frozen = ServerProcess.start(dataDir, Map.of("PGFLEET_DB_URL", db.url(),
                     "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password(),
                     "PGFLEET_DB_STATEMENT_TIMEOUT", Long.toString(FROZEN_TIMEOUT.toSeconds()),
                     "PGFLEET_WARMUP_ROUNDS", "0", "PGFLEET_INSTANCE_NAME", "frozen"));
             Connection operator = db.connect(); Statement psql = operator.createStatement();
             Connection observer = db.connect(); Statement look = observer.createStatement()) {
            ApiClient admin = ApiClient.asAdmin(survivor.port());
            ApiClient viaFrozen = ApiClient.asAdmin(frozen.port());
            for (String id : new String[] {"frozen-a", "frozen-b"}) {
                assertEquals(201, admin.createCollector(id).statusCode());
            }
            try {
                // The frozen instance's change waits, inside its transaction, for a collector's row
                // lock held here, so that it is frozen at a known point: holding the layers' lock.
                operator.setAutoCommit(false);
                psql.execute("SELECT * FROM collectors WHERE id = 'frozen-b' FOR UPDATE");
                CompletableFuture<HttpResponse<String>> stuck = CompletableFuture.supplyAsync(
                        () -> viaFrozen.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 11\n"));
                int backend = awaitBackend(look, "wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'");
                frozen.freeze();
                operator.rollback();
                // Its backend hands it the rows and waits for its next statement, which never comes.
                awaitBackend(look, "pid = " + backend + " AND state = 'idle in transaction'");
                assertTrue(db.count("SELECT count(*) FROM pg_locks WHERE pid = ? AND locktype = 'advisory' AND granted",
                        backend) > 0, "the frozen instance's transaction holds the layers' lock");

                HttpResponse<String> put = admin.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 22\n");
                assertEquals(201, put.statusCode(), "the other instance's change goes through: " + put.body());
                assertEquals("1", put.headers().firstValue("X-Config-Version").orElseThrow());

                frozen.thaw();
                HttpResponse<String> late = stuck.get(60, TimeUnit.SECONDS);
                assertEquals(503, late.statusCode(), "its transaction was ended: " + late.body());
            } finally {
                frozen.thaw();
            }
            assertEquals(1, db.count("SELECT count(*) FROM layer_revisions WHERE layer = 'fleet'"),
                    "nothing of the frozen instance's change is stored");
            assertEquals(2, db.count("SELECT count(*) FROM effective_configs WHERE sources LIKE 'fleet@1%'"
                    + " AND document LIKE '%push_interval = 22%'"), "every collector has the change that went through");
            HttpResponse<String> after = viaFrozen.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 33\n");
            assertEquals(201, after.statusCode(), "the instance that came back works again: " + after.body());
            assertEquals("2", after.headers().firstValue("X-Config-Version").orElseThrow());
        }
    }

    /** The pid of the test database's one backend that matches a condition, once there is one. */
    private static int awaitBackend(Statement look, String condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (ResultSet r = look.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid() AND " + condition)) {
                if (r.next()) {
                    return r.getInt(1);
                }
            }
            assertTrue(System.nanoTime() < deadline, "no backend where " + condition);
            Thread.sleep(10); // polling interval of a condition with a deadline
        }
    }
}
