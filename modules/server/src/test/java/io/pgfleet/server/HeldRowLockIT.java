package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator's session holds a lock on a row the server writes (an open transaction in psql), for
 * longer than the server waits: requests that need it answer 503 within the statement timeout, and
 * nothing of them is left waiting in the database, however many come.
 */
class HeldRowLockIT {

    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(2);

    @Test
    void requestsWaitingForALockHeldElsewhereAnswer503AndLeaveNoSessionBehindInTheDatabase() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        try (PgfleetServer server = PgfleetServer.start(TestServers.settings(db).withDbStatementTimeout(STATEMENT_TIMEOUT));
             Connection operator = db.connect(); Statement psql = operator.createStatement();
             Connection observer = db.connect(); Statement look = observer.createStatement()) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.createCollector("locked").statusCode());
            assertEquals(201, admin.putToml("/api/v1/config/locked", aDocument().pushInterval(1).toml()).statusCode());

            operator.setAutoCommit(false);
            psql.execute("SELECT * FROM collectors WHERE id = 'locked' FOR UPDATE");
            List<CompletableFuture<HttpResponse<String>>> publishes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int interval = 10 + i;
                publishes.add(CompletableFuture.supplyAsync(() -> admin.putToml("/api/v1/config/locked",
                        aDocument().pushInterval(interval).toml())));
            }
            for (CompletableFuture<HttpResponse<String>> p : publishes) {
                HttpResponse<String> answer = p.get(30, TimeUnit.SECONDS);
                assertEquals(503, answer.statusCode(), answer.body());
                assertTrue(answer.body().contains("/problems/storage-unavailable"), answer.body());
            }
            Thread.sleep(500); // what the server gave up on has had time to end in the database too
            assertEquals(0, waitingForALock(look), "no backend of the server still waits for the operator's lock");

            operator.rollback();
            assertEquals(201, admin.putToml("/api/v1/config/locked", aDocument().pushInterval(30).toml()).statusCode(),
                    "publishing works again once the lock is gone");
            assertEquals("2", admin.get("/api/v1/config/locked").headers().firstValue("X-Config-Version").orElseThrow(),
                    "none of the publishes answered 503 was stored after all");
        }
    }

    private static int waitingForALock(Statement look) throws Exception {
        try (ResultSet r = look.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND wait_event_type = 'Lock'")) {
            r.next();
            return r.getInt(1);
        }
    }
}
