package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static io.pgfleet.server.DatabaseWaits.awaitCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Agents registering all at once (a fleet being rolled out) against a server with a small
 * connection pool, and registrations that fail half-way: over real HTTP and PostgreSQL.
 */
class RegistrationBurstIT {

    /** Far fewer connections than agents arriving at once. */
    private static final int POOL = 3;
    private static final int AGENTS = 100;
    /** The layers lock's key (LayerPersistenceAdapter.LAYERS_LOCK). */
    private static final long LAYERS_LOCK = 0x7067666c6c617972L;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withPoolSize(POOL));

    @Test
    void aHundredAgentsRegisteringAtOnceEachGetInOnceWithTheFleetLayerAsPublishedMeanwhile() throws Exception {
        ApiClient admin = SERVER.admin();
        assertEquals(201, admin.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 30\n").statusCode());
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger done = new AtomicInteger();
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        try (ExecutorService agents = Executors.newFixedThreadPool(AGENTS)) {
            for (int i = 0; i < AGENTS; i++) {
                String name = "burst-" + i;
                answers.add(agents.submit(() -> {
                    start.await();
                    try {
                        return register("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET, name);
                    } finally {
                        done.incrementAndGet();
                    }
                }));
            }
            start.countDown();
            // A fleet layer published while the agents arrive reaches every one of them.
            awaitCondition(() -> done.get() >= AGENTS / 4, "a quarter of the registrations answered");
            HttpResponse<String> published = admin.putToml("/api/v1/fleet/config", "[collector]\npush_interval = 45\n");
            assertEquals(201, published.statusCode(), published.body());
            Map<Integer, Integer> statuses = new TreeMap<>();
            Set<String> ids = new HashSet<>();
            for (Future<HttpResponse<String>> a : answers) {
                HttpResponse<String> r = a.get();
                statuses.merge(r.statusCode(), 1, Integer::sum);
                if (r.statusCode() == 201) {
                    ids.add(ApiClient.field(r.body(), "collector_id"));
                }
            }
            assertEquals(Map.of(201, AGENTS), statuses, "every agent registered at its first attempt, none was told 503");
            assertEquals(AGENTS, ids.size());
        }
        assertEquals(AGENTS, count("SELECT count(*) FROM collectors WHERE name LIKE 'burst-%'"),
                "exactly one collector per agent");
        assertEquals(0, count("""
                SELECT count(*) FROM collectors c LEFT JOIN effective_configs e ON e.collector_id = c.id
                WHERE c.name LIKE 'burst-%' AND (e.sources IS NULL OR e.sources <> 'fleet@2')"""),
                "every new collector's effective document merges the fleet layer published last");
    }

    @Test
    void aRegistrationThatFailsHalfWayLeavesNothingAndItsEnrolmentTokenUsable() throws Exception {
        String token = SERVER.admin().enrolmentTokenForNew("pre-enrolled");

        assertEquals(503, registerLosingTheConnection("X-Enrolment-Token", token).statusCode(),
                "a lost database connection is 503");
        HttpResponse<String> retried = register("X-Enrolment-Token", token, "pre-enrolled");
        assertEquals(201, retried.statusCode(), "the enrolment token was not spent: " + retried.body());
        assertEquals("pre-enrolled", ApiClient.field(retried.body(), "collector_id"));

        long before = count("SELECT count(*) FROM collectors");
        long audited = count("SELECT count(*) FROM audit_log");
        assertEquals(503, registerLosingTheConnection("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .statusCode());
        assertEquals(before, count("SELECT count(*) FROM collectors"),
                "no collector was created: the agent's retry will not make a second one");
        assertEquals(audited, count("SELECT count(*) FROM audit_log"), "nor an audit entry of a registration");
        assertEquals(201, register("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET, "again").statusCode());
        assertEquals(before + 1, count("SELECT count(*) FROM collectors"));
    }

    /**
     * Registers while a layer change holds the layers lock, and loses the registration's database
     * connection while it waits for that lock (the database restarted, the connection was cut).
     */
    private static HttpResponse<String> registerLosingTheConnection(String header, String value) throws Exception {
        try (Connection layerChange = SERVER.database().connect()) {
            try (PreparedStatement lock = layerChange.prepareStatement("SELECT pg_advisory_lock(?)")) {
                lock.setLong(1, LAYERS_LOCK);
                lock.execute();
            }
            CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(
                    () -> register(header, value, "half-way"));
            try (PreparedStatement waiting = layerChange.prepareStatement("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> pg_backend_pid()""")) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                boolean terminated = false;
                while (!terminated && System.nanoTime() < deadline) {
                    try (ResultSet rs = waiting.executeQuery()) {
                        terminated = rs.next();
                    }
                    if (!terminated) {
                        Thread.sleep(10);
                    }
                }
                assertTrue(terminated, "the registration waited for the layers lock");
            }
            return answer.get();
        }
    }

    private static HttpResponse<String> register(String header, String value, String name) {
        return SERVER.anonymous().register("{\"name\":\"" + name + "\"}", header, value);
    }

    private static long count(String sql) throws SQLException {
        return SERVER.database().count(sql);
    }

}
