package io.pgfleet.server;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real agent processes under a rollout: the canary's host cannot run the staged version (the
 * password variable it names is not set there), its agent reports the failure, and the server
 * rolls the layer back by itself before any other agent receives the version.
 */
class RolloutAgentsEndToEndIT {

    private static final Duration SOON = Duration.ofSeconds(60);

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withRollouts(s.rollouts()
            .withTick(Duration.ofMillis(100)).withLease(Duration.ofSeconds(2))));

    @TempDir
    Path dir;

    /** Starts an agent labelled env=rollout (and canary=true when asked), with or without the password variable. */
    private AgentProcess agent(String name, boolean canary, boolean passwordSet) throws Exception {
        Path home = dir.resolve(name);
        Files.createDirectories(home);
        Files.writeString(home.resolve("registration-secret"), ServerSettings.TEST_REGISTRATION_SECRET);
        Path config = home.resolve("agent.toml");
        Files.writeString(config, """
                server_url = "http://127.0.0.1:%d"
                name = "%s"
                labels = { env = "rollout"%s }
                registration_secret_file = "registration-secret"
                state_dir = "state"
                """.formatted(SERVER.port(), name, canary ? ", canary = \"true\"" : ""));
        String jar = System.getProperty("pgfleet.agent.jar", "../agent/target/pgfleet-agent.jar");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar, "--config", config.toString());
        pb.environment().remove("PGFLEET_ROLLOUT_PW");
        if (passwordSet) {
            pb.environment().put("PGFLEET_ROLLOUT_PW", "not-needed-with-trust-authentication");
        }
        return AgentProcess.start(pb, home.resolve("state"));
    }

    private static String collectorId(AgentProcess agent) throws InterruptedException {
        int line = agent.await("registered as collector ", SOON);
        return agent.output().lines().skip(line).findFirst().orElseThrow().replaceAll(".*registered as collector ", "").trim();
    }

    @Test
    void aCanaryThatCannotApplyRollsTheFleetBackBeforeAnyOtherAgentReceivesTheVersion() throws Exception {
        ApiClient admin = SERVER.admin();
        RolloutFleet fleet = new RolloutFleet(SERVER.port(), admin);
        fleet.group("agents", "{\"env\":\"rollout\"}");
        String before = monitoring(SERVER.database()).pgStats(true, 60).toml();
        assertEquals(201, admin.putToml("/api/v1/groups/agents/config", before).statusCode());
        try (AgentProcess canary = agent("canary", true, false); AgentProcess a = agent("worker-a", false, true);
             AgentProcess b = agent("worker-b", false, true)) {
            String canaryId = collectorId(canary);
            for (AgentProcess p : List.of(canary, a, b)) {
                p.await("applied configuration version 1 ", SOON);
            }
            // Each agent reports before it prints that it applied: none is stale, the rollout plans all three.
            for (AgentProcess p : List.of(canary, a, b)) {
                assertEquals(1, fleet.new Member(admin, collectorId(p)).revision());
            }

            String staged = before.replace("password_file = \"\"",
                    "password_file = \"\"\npassword_env = \"PGFLEET_ROLLOUT_PW\"");
            long id = fleet.start("group/agents", staged, "[{\"selector\":{\"canary\":\"true\"}},{\"percent\":100}]", 0, 60);

            canary.await("could not apply configuration version 2: postgres.password_env names PGFLEET_ROLLOUT_PW", SOON);
            JsonObject back = fleet.awaitState(id, "rolled_back");
            JsonObject failure = back.getJsonArray("failures").getJsonObject(0);
            assertEquals(canaryId, failure.getString("collector_id"));
            assertTrue(failure.getString("error").contains("PGFLEET_ROLLOUT_PW"), failure.toString());
            // The canary gets its previous document back, as version 3, and runs it.
            canary.await("applied configuration version 3 ", SOON);
            HttpResponse<String> current = admin.get("/api/v1/groups/agents/config");
            assertEquals(before, current.body(), "the layer's current version is the previous document again");
            for (AgentProcess worker : List.of(a, b)) {
                assertEquals(0, worker.count("configuration version 2"), "a worker never received the staged version");
                assertEquals(1, fleet.new Member(admin, collectorId(worker)).revision());
            }
        }
    }
}
