package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent process started with SIGHUP ignored (under {@code nohup}), or in a JVM that keeps the
 * signals to itself ({@code -Xrs}), cannot be woken by {@code kill -HUP}; it says so once at start,
 * with what still works and the remedy, and runs on. No server is needed: the warning comes before
 * the first request.
 */
class AgentHangUpIgnoredIT {

    @TempDir
    Path dir;

    private static int closedPort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void anAgentStartedWithSighupIgnoredWarnsThatReloadBySignalDoesNothing() throws Exception {
        try (AgentProcess agent = AgentProcess.startWithHangUpIgnored(dir.resolve("agent"), closedPort())) {
            int started = agent.await("pgfleet-agent: pid ", Duration.ofSeconds(30));
            // The shell has run the trap and become the agent's JVM (same process, SIGHUP bit set).
            assertTrue(Files.readString(Path.of("/proc", Long.toString(agent.pid()), "status"))
                    .lines().anyMatch(l -> l.matches("SigIgn:\\s+\\p{XDigit}*[13579bdfBDF]")),
                    "the agent process runs with SIGHUP ignored");
            int line = agent.await(java.util.regex.Pattern.compile("SIGHUP is ignored"), started,
                    Duration.ofSeconds(10));
            String warning = agent.output().lines().skip(line).findFirst().orElseThrow();
            assertTrue(warning.contains("nohup") && warning.contains("watch"),
                    "names the cause, what still works and the remedy: " + warning);
            assertTrue(agent.alive(), "the agent runs on");
        }
    }

    @Test
    void anAgentInAJvmThatKeepsSignalsToItselfRunsOnWithoutSighupAndSaysSo() throws Exception {
        try (AgentProcess agent = AgentProcess.start(dir.resolve("xrs"), closedPort(), java.util.List.of("-Xrs"))) {
            int line = agent.await("SIGHUP cannot be used", Duration.ofSeconds(30));
            agent.await(java.util.regex.Pattern.compile("pgfleet-agent: starting, "), line, Duration.ofSeconds(10));
            assertTrue(agent.alive(), "the agent runs on");
        }
    }
}
