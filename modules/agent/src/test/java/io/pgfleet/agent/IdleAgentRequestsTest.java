package io.pgfleet.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An idle agent costs the server almost nothing: it long-polls from its first request, whether
 * its collector has no configuration yet or the newest version failed on its host. Real HTTP on
 * loopback against a server that counts requests.
 */
class IdleAgentRequestsTest {

    private static final Duration WINDOW = Duration.ofSeconds(4);

    @TempDir
    Path dir;

    @Test
    void anAgentWithoutConfigurationWatchesInsteadOfLooping() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            int requests = idleRequests(server);
            // One watch is held for 25 s; a hot loop sends thousands in the same window.
            assertTrue(requests <= 2, "config requests in " + WINDOW + ": " + requests);
        }
    }

    @Test
    void anAgentWhoseNewestVersionFailedWatchesPastIt() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            server.publish(1, "[collectors.nonsense]\nenabled = true\n");
            int requests = idleRequests(server);
            assertTrue(requests <= 3, "config requests in " + WINDOW + ": " + requests);
            assertTrue(server.statusReports().stream().anyMatch(r -> r.contains("FAILED")), server.statusReports().toString());
        }
    }

    private int idleRequests(FakeFleetServer server) throws Exception {
        Files.writeString(dir.resolve("secret"), "s");
        Path file = dir.resolve("agent.toml");
        Files.writeString(file, "server_url = \"" + server.uri() + "\"\nname = \"idle\"\n"
                + "registration_secret_file = \"secret\"\nstate_dir = \"state\"\n");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Agent agent = new Agent(LocalSettings.read(file), new PrintStream(log, true, StandardCharsets.UTF_8))) {
            agent.start();
            Instant end = Instant.now().plus(WINDOW);
            while (Instant.now().isBefore(end)) {
                Thread.sleep(100);
            }
            return server.configRequests();
        }
    }
}
