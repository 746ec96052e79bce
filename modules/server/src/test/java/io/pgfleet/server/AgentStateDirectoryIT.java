package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's state directory as operators meet it on a host: a run as root by hand beside the
 * service, which runs as a user of its own; the directory deleted and made again under a running agent.
 */
class AgentStateDirectoryIT {

    private static final Duration SOON = Duration.ofSeconds(45);
    /** The service's user in these tests: one every Linux host has. */
    private static final String SERVICE_USER = "nobody";

    @TempDir
    Path dir;
    private TestDatabase db;
    private ServerSettings settings;
    private PgfleetServer server;

    @BeforeEach
    void database() throws Exception {
        db = TestPostgres.newDatabase();
        settings = TestServers.onFreePort(db, dir.resolve("server"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private int collectors() throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM collectors");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String registered(AgentProcess agent) throws Exception {
        int line = agent.await("registered as collector ", SOON);
        return agent.output().lines().skip(line).findFirst().orElseThrow().replaceAll(".*registered as collector ", "").trim();
    }

    /**
     * The package made the state directory the service's (it runs as a user of its own). Before
     * enabling the service, an operator runs the agent by hand as root to watch its output, during
     * an outage of the server: its identity, its configuration and what it could not deliver are kept
     * in the state directory as root's. The service then refuses to start, naming the files, their
     * owner, the user it runs as and the command that gives the directory back, instead of
     * registering the host as a new collector or dropping those samples; once given back, it starts
     * as the same collector and sends them first.
     */
    @Test
    void filesARunAsRootLeftInTheStateDirectoryStopTheServiceSayingHowToGiveThemBackAndNothingIsLost() throws Exception {
        AgentProcess.cannotStartAsAnotherUser().ifPresent(why -> Assumptions.abort("no run as another user: " + why));
        // Readable by the service's user down to the agent's files, as /etc/pgfleet and /var/lib are.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path agentDir = dir.resolve("agent");
        Path state = agentDir.resolve("state");
        Files.createDirectories(state);
        chown(SERVICE_USER, state, true);
        server = PgfleetServer.start(settings);
        String id;
        try (AgentProcess byHand = AgentProcess.start(agentDir, server.port())) {
            byHand.await("warning: the agent runs as root in the state directory .*state, which is " + SERVICE_USER
                    + "'s: the files it writes there are root's", SOON);
            id = registered(byHand);
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(false, 60).sysstatEvery(1).toml())
                    .statusCode());
            byHand.await("applied configuration version 1 ", SOON);
            int from = byHand.lineCount();
            server.close();
            server = null;
            byHand.await(Pattern.compile("push failed"), from, SOON);
            byHand.close();
            byHand.await("[1-9][0-9]* samples not delivered are kept on disk", SOON);
        }
        Path spool = state.resolve("unsent-samples.jsonl");
        assertEquals("root", Files.getOwner(spool).getName());
        List<String> kept = Files.readAllLines(spool);

        server = PgfleetServer.start(settings);
        // The directory itself root's (a run as root made it): nothing in it can be seen.
        chown("root", state, false);
        try (AgentProcess service = AgentProcess.startAs(SERVICE_USER, agentDir, server.port())) {
            service.await("pgfleet-agent: the state directory .*state cannot be read by the agent \\(it is root's,"
                    + " rwx------\\), which runs as " + SERVICE_USER + ": it cannot tell whether this host is registered,"
                    + " and does not start rather than register it as a new collector\\. Give the directory back to the"
                    + " agent's user: chown -R " + SERVICE_USER + " .*state, then start the agent again$", SOON);
            assertEquals(2, service.exitStatus());
        }
        chown(SERVICE_USER, state, false);
        try (AgentProcess service = AgentProcess.startAs(SERVICE_USER, agentDir, server.port())) {
            service.await("pgfleet-agent: the state directory .*state holds files the agent cannot read or write: identity\\.properties"
                    + " \\(root's, rw-------\\), .*unsent-samples\\.jsonl \\(root's, rw-------\\).*; the agent runs as "
                    + SERVICE_USER + ", and a run of it as root \\(by hand, to watch its output\\) leaves them so\\. It does"
                    + " not start rather than register this host as a new collector, or drop the samples and the"
                    + " configuration kept there\\. Give the directory back to the agent's user: chown -R " + SERVICE_USER
                    + " .*state, then start the agent again$", SOON);
            assertEquals(2, service.exitStatus());
            assertEquals(0, service.count("registered as collector|starting, collector"), service.output());
        }
        assertEquals(kept, Files.readAllLines(spool), "the samples the run as root kept are still there");
        assertEquals(1, collectors(), "no second collector for the host");

        chown(SERVICE_USER, state, true);
        try (AgentProcess service = AgentProcess.startAs(SERVICE_USER, agentDir, server.port())) {
            service.await(kept.size() + " samples the last run could not deliver are sent first", SOON);
            service.await("starting, collector " + id, SOON);
            service.await("applied configuration version 1 ", SOON);
            await(() -> !Files.exists(spool));
        }
        assertEquals(1, collectors());
    }

    /** {@code chown}, with {@code -R} as the operator runs it to give the directory back. */
    private static void chown(String user, Path path, boolean recursive) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("chown"));
        if (recursive) {
            command.add("-R");
        }
        command.addAll(List.of(user, path.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), said);
    }

    /**
     * The state directory deleted and made again while the agent runs, and another agent started on
     * it before this one wrote there again (here: this test's process takes its lock, as an agent
     * does). Two agents there would be one collector with one refresh token between them: the
     * running one notices at its next state write (or its check a minute), says why, writes nothing
     * more there, and stops with status 2.
     */
    @Test
    void anAgentWhoseStateDirectoryAnotherAgentTookWhileItRanStopsAndLeavesItToThatOne() throws Exception {
        server = PgfleetServer.start(settings);
        ApiClient admin = ApiClient.asAdmin(server.port());
        Path agentDir = dir.resolve("agent");
        try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
            String id = registered(agent);
            assertEquals(201, admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(false, 60).toml()).statusCode());
            agent.await("applied configuration version 1 ", SOON);
            Path state = agent.stateDir();
            try (var walk = Files.walk(state)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            Files.createDirectories(state);
            long pid = ProcessHandle.current().pid();
            try (FileChannel other = FileChannel.open(state.resolve("agent.lock"), Set.of(StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)); FileLock held = other.tryLock()) {
                assertTrue(held != null);
                other.write(java.nio.ByteBuffer.wrap((pid + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                // Its next state write: the last-known-good of a new version.
                var published = admin.putToml("/api/v1/config/" + id, monitoring(db).pgStats(false, 30).toml());
                assertTrue(published.statusCode() == 200 || published.statusCode() == 201, published.body());

                agent.await("the state directory .*state was deleted or made again while this agent ran, and another"
                        + " agent \\(pid " + pid + "\\) started on it and holds it now: two agents there would be one"
                        + " collector with one refresh token between them\\. This agent \\(collector " + id + "\\) stops,"
                        + " and writes nothing more there", SOON);
                assertEquals(2, agent.exitStatus());
                agent.await("stopped", SOON);
                try (var files = Files.list(state)) {
                    assertEquals(List.of(state.resolve("agent.lock")), files.toList(), "nothing of the agent's is there");
                }
            }
        }
    }

    private interface Check {
        boolean done() throws Exception;
    }

    private static void await(Check check) throws Exception {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (System.nanoTime() < deadline) {
            if (check.done()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("condition not met within " + SOON);
    }
}
