package io.pgfleet.server;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import java.io.StringReader;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Collectors that report through the real API as an agent would, and the operator's side of a
 * rollout, for the rollout integration tests.
 */
final class RolloutFleet {

    /** How long a rollout condition may take (the driver ticks every 100 ms in these tests). */
    static final Duration SOON = Duration.ofSeconds(20);

    /** The canaries first, then everyone. */
    static final String CANARY_FIRST = "[{\"selector\":{\"canary\":\"true\"}},{\"percent\":100}]";

    /** A fleet layer that sets {@code postgres.password_file}, with which an own {@code password_env} does not compose. */
    static final String PASSWORD_FILE_FLEET = "[collector]\npush_interval = 30\n\n[postgres]\npassword_file = \"/tmp/x/pw\"\n";

    private final int port;
    private final ApiClient admin;

    RolloutFleet(int port, ApiClient admin) {
        this.port = port;
        this.admin = admin;
    }

    /** A server whose rollout driver ticks every 100 ms and hands its lease on after 2 s. */
    static RunningServer server() {
        return new RunningServer(s -> s.withRollouts(s.rollouts().withTick(Duration.ofMillis(100))
                .withLease(Duration.ofSeconds(2))));
    }

    static JsonObject json(String body) {
        try (jakarta.json.JsonReader r = Json.createReader(new StringReader(body))) {
            return r.readObject();
        }
    }

    /** A collector with its own token. */
    final class Member {
        final ApiClient client;
        final String id;

        Member(ApiClient client, String id) {
            this.client = client;
            this.id = id;
        }

        /** Its effective document as the server has it now. */
        JsonObject effective() {
            HttpResponse<String> r = admin.get("/api/v1/collectors/" + id + "/effective");
            assertEquals(200, r.statusCode(), r.body());
            return json(r.body());
        }

        int revision() {
            return effective().getInt("revision");
        }

        /** The document its agent would receive. */
        String document() {
            HttpResponse<String> r = client.get("/api/v1/config/" + id);
            assertEquals(200, r.statusCode(), r.body());
            return r.body();
        }

        /**
         * Reports that it applied its current effective revision; before it has one, pushes an empty
         * batch, as an agent running the defaults does (it has no revision to report).
         */
        void applied() {
            JsonObject e = effective();
            if (e.isNull("revision")) {
                HttpResponse<String> r = client.postJson("/api/v1/metrics/push",
                        "{\"batch_id\":\"seen-" + java.util.UUID.randomUUID() + "\",\"samples\":[]}");
                assertEquals(202, r.statusCode(), r.body());
                return;
            }
            report("{\"version\":" + e.getInt("revision") + ",\"status\":\"APPLIED\",\"error\":\"\",\"effective_sha256\":\""
                    + e.getString("effective_sha256") + "\"}");
        }

        /** Reports that it could not apply its current effective revision (and runs what it ran before). */
        void failed(String error, String stillRunningSha) {
            report("{\"version\":" + revision() + ",\"status\":\"FAILED\",\"error\":\"" + error
                    + "\",\"effective_sha256\":\"" + stillRunningSha + "\"}");
        }

        String sha() {
            return effective().getString("effective_sha256");
        }

        private void report(String json) {
            HttpResponse<String> r = client.postJson("/api/v1/collectors/" + id + "/status", json);
            assertEquals(204, r.statusCode(), r.body());
        }
    }

    /** Registers a collector with labels, as an agent does; it has not reported yet (so it is stale). */
    Member register(String name, String labelsJson) {
        ApiClient c = ApiClient.registeredCollector(port, name, labelsJson);
        return new Member(c, c.subject());
    }

    /**
     * A collector made known by an operator whose agent has never registered: never seen, so a
     * rollout skips it. Its documents are read as the operator reads them.
     */
    Member provisioned(String id, String labelsJson) {
        HttpResponse<String> r = admin.postJson("/api/v1/collectors", "{\"id\":\"" + id + "\",\"labels\":" + labelsJson + "}");
        assertEquals(201, r.statusCode(), r.body());
        return new Member(admin, id);
    }

    /** Registers a collector that has reported once (so it is not stale). */
    Member seen(String name, String labelsJson) {
        Member m = register(name, labelsJson);
        m.applied();
        return m;
    }

    /** The fleet layer's current version. */
    int fleetVersion() {
        return Integer.parseInt(admin.get("/api/v1/fleet/config").headers().firstValue("X-Config-Version").orElse("0"));
    }

    void group(String id, String selectorJson) {
        HttpResponse<String> r = admin.postJson("/api/v1/groups", "{\"id\":\"" + id + "\",\"selector\":" + selectorJson + "}");
        assertEquals(201, r.statusCode(), r.body());
    }

    /** Starts a rollout and returns its id. */
    long start(String layer, String toml, String wavesJson, int bake, int deadline) {
        HttpResponse<String> r = startRequest(layer, toml, wavesJson, bake, deadline);
        assertEquals(201, r.statusCode(), r.body());
        return json(r.body()).getJsonNumber("id").longValue();
    }

    HttpResponse<String> startRequest(String layer, String toml, String wavesJson, int bake, int deadline) {
        return admin.postJson("/api/v1/rollouts", Json.createObjectBuilder().add("layer", layer).add("document", toml)
                .add("message", "test rollout").add("waves", Json.createReader(new StringReader(wavesJson)).readArray())
                .add("bake_seconds", bake).add("apply_deadline_seconds", deadline).build().toString());
    }

    JsonObject rollout(long id) {
        HttpResponse<String> r = admin.get("/api/v1/rollouts/" + id);
        assertEquals(200, r.statusCode(), r.body());
        return json(r.body());
    }

    HttpResponse<String> command(long id, String command) {
        return admin.postJson("/api/v1/rollouts/" + id + "/" + command, "");
    }

    /** Waits until the rollout satisfies the condition, polling its view. */
    JsonObject await(long id, Predicate<JsonObject> condition, String what) {
        Instant deadline = Instant.now().plus(SOON);
        JsonObject last = rollout(id);
        while (!condition.test(last)) {
            if (Instant.now().isAfter(deadline)) {
                fail("rollout " + id + " never reached: " + what + "; it is " + last);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(50); // polling interval of a condition with a deadline, not a wait for time to pass
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            last = rollout(id);
        }
        return last;
    }

    JsonObject awaitState(long id, String state) {
        return await(id, r -> r.getString("state").equals(state), "state " + state);
    }

    JsonObject awaitWave(long id, int wave) {
        return await(id, r -> r.getInt("current_wave") >= wave, "wave " + wave);
    }

    /**
     * Waits until the server's rollout driver has renewed its lease this many more times: rounds that
     * had their chance to move a rollout.
     *
     * @param server the server whose driver is awaited
     * @param rounds how many renewals
     * @throws Exception when the database cannot be read
     */
    static void awaitDriverRounds(RunningServer server, int rounds) throws Exception {
        Instant last = leaseExpiry(server);
        Instant deadline = Instant.now().plus(SOON);
        for (int seen = 0; seen < rounds; ) {
            if (Instant.now().isAfter(deadline)) {
                fail("the driver stopped renewing its lease");
            }
            Thread.sleep(20); // polling interval of a condition with a deadline
            Instant now = leaseExpiry(server);
            if (now.isAfter(last)) {
                seen++;
                last = now;
            }
        }
    }

    private static Instant leaseExpiry(RunningServer server) throws Exception {
        try (java.sql.Connection c = server.database().connect(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT expires_at FROM rollout_lease")) {
            return rs.next() ? rs.getTimestamp(1).toInstant() : Instant.EPOCH;
        }
    }
}
