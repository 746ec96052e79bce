package io.pgfleet.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent whose last run kept more samples than its buffer now holds ({@code buffer_samples} and
 * the heap raised for a long outage, then lowered again; a state directory carried over from a
 * larger host) reads back only the newest that fit, counting the rest as dropped, instead of
 * reading the whole file into its 16 MB heap and dying at start (and at every restart after it). A real agent process with the
 * heap and options of the installed one ({@code deploy/pgfleet-agent.jvm.options}).
 */
class KeptSamplesBeyondTheBufferTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void anAgentStartsWithTheNewestSamplesThatFitItsBufferAndCountsTheOlderOnesDropped() throws Exception {
        Path state = Files.createDirectory(dir.resolve("state"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        int kept = 300_000;
        // What an agent with buffer_samples = 300000 keeps after a long outage: about 29 MB.
        try (BufferedWriter out = Files.newBufferedWriter(state.resolve(AgentState.UNSENT))) {
            for (int i = 0; i < kept; i++) {
                out.write("{\"name\":\"node_load1\",\"labels\":{\"n\":\"" + i
                        + "\"},\"value\":1.5,\"ts\":\"2026-12-03T06:00:00Z\"}\n");
            }
        }
        Files.writeString(dir.resolve("secret"), "s");
        Path file = dir.resolve("agent.toml");
        // The server away: the agent starts, collects and keeps what it has, and sends nothing.
        Files.writeString(file, "server_url = \"http://127.0.0.1:1\"\nname = \"kept\"\nbuffer_samples = 20000\n"
                + "registration_secret_file = \"secret\"\nstate_dir = \"state\"\n");
        Path options = Path.of("../../deploy/pgfleet-agent.jvm.options").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(options), options.toString());
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + options, "-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                "--config", file.toString()).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            // Until the agent says what it restored, or dies of an out-of-memory (its stack trace).
            while ((line = in.readLine()) != null) {
                log.append(line).append('\n');
                if (line.contains("could not deliver are sent first") || line.contains("OutOfMemoryError")) {
                    break;
                }
            }
        } finally {
            agent.destroy();
            if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
        String said = log.toString();
        assertFalse(said.contains("OutOfMemoryError"), said);
        assertTrue(said.contains("280000 older samples kept by the last run do not fit in the buffer of 20000"), said);
        assertTrue(said.contains("20000 samples the last run could not deliver are sent first"), said);
        // What is kept at the stop is the newest 20,000 (and what was collected since), not the file it started with.
        List<String> after = Files.readAllLines(state.resolve(AgentState.UNSENT));
        assertTrue(after.size() < kept, "kept at the stop: " + after.size() + " samples");
        assertTrue(after.getFirst().contains("\"n\":\"280000\""), after.getFirst());
    }
}
