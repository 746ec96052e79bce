package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static io.pgfleet.server.DatabaseWaits.awaitCondition;
import static io.pgfleet.server.DatabaseWaits.waitingForALock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A server whose single database connection is busy answers {@code 429 overloaded} with
 * {@code Retry-After}, counted in its metrics, and carries the busy request out once the
 * connection is free; a database that refuses connections is still {@code 503}. Over real HTTP
 * and PostgreSQL.
 */
class PoolSaturationIT {

    /** One connection: a request holding it makes every other one wait for the pool. */
    private static final int POOL = 1;
    /** The layers lock's key (LayerPersistenceAdapter.LAYERS_LOCK); a registration takes it shared. */
    private static final long LAYERS_LOCK = 0x7067666c6c617972L;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withPoolSize(POOL));

    @Test
    void aBusyPoolIs429WithRetryAfterAndALostDatabaseIs503() throws Exception {
        ApiClient admin = SERVER.admin();
        assertEquals(200, admin.get("/api/v1/collectors").statusCode());

        // A layer change holds the layers lock; a registration waits for it on the pool's only connection.
        try (Connection layerChange = SERVER.database().connect()) {
            try (PreparedStatement lock = layerChange.prepareStatement("SELECT pg_advisory_lock(?)")) {
                lock.setLong(1, LAYERS_LOCK);
                lock.execute();
            }
            CompletableFuture<HttpResponse<String>> registration = CompletableFuture.supplyAsync(() -> {
                ApiClient anon = new ApiClient(SERVER.port());
                return anon.send(anon.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                        .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"held\"}")));
            });
            awaitCondition(() -> waitingForALock(layerChange, "advisory") > 0, "the registration waits for the layers lock");

            HttpResponse<String> busy = admin.get("/api/v1/collectors");
            assertEquals(429, busy.statusCode(), "the database answers, the pool is busy: " + busy.body());
            assertEquals("5", busy.headers().firstValue("Retry-After").orElse(""));
            assertTrue(busy.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
            assertTrue(busy.body().contains("/problems/overloaded"), busy.body());

            try (PreparedStatement unlock = layerChange.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                unlock.setLong(1, LAYERS_LOCK);
                unlock.execute();
            }
            assertEquals(201, registration.get().statusCode(), "the busy registration itself was carried out");
        }
        String metrics = admin.get("/observe/metrics").body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("pgfleet_http_problems_total{")
                && l.contains("type=\"overloaded\"") && l.contains("status=\"429\"")), "counted in the metrics");

        // The database refuses connections and this server's are cut: that is a lost database.
        String name;
        try (Connection own = SERVER.database().connect()) {
            name = databaseName(own);
        }
        // From another database of the same PostgreSQL: a database cannot refuse its own session's connections.
        String maintenance = SERVER.database().url().replaceFirst("/" + name + "(?=\\?|$)", "/postgres");
        try (Connection dba = java.sql.DriverManager.getConnection(maintenance, SERVER.database().user(),
                SERVER.database().password()); Statement s = dba.createStatement()) {
            s.execute("ALTER DATABASE \"" + name + "\" ALLOW_CONNECTIONS false");
            try {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
                HttpResponse<String> lost = admin.get("/api/v1/collectors");
                assertEquals(503, lost.statusCode(), lost.body());
                assertTrue(lost.body().contains("/problems/storage-unavailable"), lost.body());
            } finally {
                s.execute("ALTER DATABASE \"" + name + "\" ALLOW_CONNECTIONS true");
            }
        }
        awaitCondition(() -> admin.get("/api/v1/collectors").statusCode() == 200, "the server serves again");
    }


    private static String databaseName(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_database()")) {
            rs.next();
            return rs.getString(1);
        }
    }

}
