package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.pgfleet.server.DatabaseWaits.awaitCondition;
import static io.pgfleet.server.DatabaseWaits.waitingForALock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fleet catching up after an outage pushes its backlog all at once: sample ingest may take only
 * half of an instance's database connections, so an operator can still log in, and the pushes
 * beyond that are answered {@code 429} with {@code Retry-After} (their agents keep the batches and
 * come back). Over real HTTP and PostgreSQL.
 */
class IngestBulkheadIT {

    /** Four connections: ingest may take two. */
    private static final int POOL = 4;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withPoolSize(POOL));

    @Test
    void pushesLeaveHalfThePoolFreeSoAnOperatorCanLogInWhileTheFleetSendsItsBacklog() throws Exception {
        List<ApiClient> agents = new ArrayList<>();
        for (int i = 0; i < POOL; i++) {
            agents.add(ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"backlog-" + i + "\"}"));
        }
        List<CompletableFuture<HttpResponse<String>>> pushes = new ArrayList<>();
        try (Connection holder = SERVER.database().connect(); Statement s = holder.createStatement();
             Connection observer = SERVER.database().connect()) {
            // Every insert of samples waits behind this lock while holding its connection, as slow
            // inserts of a large backlog do.
            holder.setAutoCommit(false);
            s.execute("LOCK TABLE samples IN SHARE ROW EXCLUSIVE MODE");
            for (int i = 0; i < POOL; i++) {
                ApiClient agent = agents.get(i);
                String batch = "{\"batch_id\": \"backlog-" + i + "\", \"samples\": [{\"name\": \"pg_up\", \"value\": 1,"
                        + " \"ts\": \"2026-11-29T10:00:00Z\"}]}";
                pushes.add(CompletableFuture.supplyAsync(() -> agent.postJson("/api/v1/metrics/push", batch)));
            }
            // Watched from a connection of its own: the holder's transaction would see one snapshot of
            // pg_stat_activity for its whole length.
            awaitCondition(() -> waitingForALock(observer, "relation") >= POOL / 2, "two pushes hold their connections");

            ApiClient operator = new ApiClient(SERVER.port());
            HttpResponse<String> login = operator.postJson("/api/v1/auth/login",
                    "{\"username\":\"admin\",\"password\":\"" + ServerSettings.TEST_ADMIN_PASSWORD + "\"}");
            assertEquals(200, login.statusCode(), "the operator logs in while the fleet pushes: " + login.body());

            int refused = 0;
            // The pushes beyond the bound are refused after one pool wait, never carried out.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (pushes.stream().filter(CompletableFuture::isDone).count() < POOL / 2) {
                assertTrue(System.nanoTime() < deadline, "the pushes beyond the bound were answered");
                Thread.sleep(50);
            }
            for (CompletableFuture<HttpResponse<String>> push : pushes) {
                if (push.isDone()) {
                    HttpResponse<String> r = push.get();
                    assertEquals(429, r.statusCode(), r.body());
                    assertEquals("5", r.headers().firstValue("Retry-After").orElse(""));
                    assertTrue(r.body().contains("/problems/overloaded"), r.body());
                    refused++;
                }
            }
            assertEquals(POOL / 2, refused);
            holder.rollback();
        }
        int stored = 0;
        for (CompletableFuture<HttpResponse<String>> push : pushes) {
            int status = push.get().statusCode();
            assertTrue(status == 202 || status == 429, "status " + status);
            stored += status == 202 ? 1 : 0;
        }
        assertEquals(POOL / 2, stored, "the pushes that held a connection were carried out once the lock was gone");
        assertEquals(POOL / 2, SERVER.database().count("SELECT count(*) FROM samples WHERE batch_id LIKE 'backlog-%'"),
                "only the accepted batches were stored");
    }


}
