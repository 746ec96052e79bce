package io.pgfleet.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A monitored PostgreSQL that lets the agent log in and then answers no statement (a backend stuck
 * on hung storage): each of the database's collector runs waits for the driver's socket timeout
 * (30 s). The host's metrics are what an operator looks at then, and the agent keeps measuring them
 * meanwhile. A real agent, its real collectors and real sockets on loopback.
 */
class StalledDatabaseTest {

    @TempDir
    Path dir;

    /**
     * A version monitoring the PostgreSQL on a loopback port, with sysstat every second and
     * disk_usage off.
     *
     * @param pgStats       the pg_stats table's line ({@code enabled = false}, {@code interval = 1})
     * @param pgConnections the pg_connections table's line
     */
    private static String document(int pushInterval, int port, String pgStats, String pgConnections) {
        return """
                [collector]
                push_interval = %d
                [postgres]
                host = "127.0.0.1"
                port = %d
                [collectors.pg_stats]
                %s
                [collectors.pg_connections]
                %s
                [collectors.sysstat]
                interval = 1
                [collectors.disk_usage]
                enabled = false
                """.formatted(pushInterval, port, pgStats, pgConnections);
    }

    @Test
    void hostMetricsKeepTheirRhythmWhileTheDatabaseAnswersNoStatement() throws Exception {
        int port = freePorts(1)[0];
        try (FakeFleetServer server = new FakeFleetServer()) {
            // Applied while nothing listens on the port (refused at once), so the apply's own look at
            // the database does not wait; the stall begins once the collectors run.
            server.publish(1, document(1, port, "interval = 1", "interval = 1"));
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            try (Agent agent = agent(server, log)) {
                agent.start();
                await(() -> sysstatRuns(server) >= 1, "a first sysstat run pushed", log);
                try (StalledDatabase db = new StalledDatabase(port)) {
                    await(() -> db.statements.get() >= 1, "the agent logged in to the stalled database and sent a statement", log);
                    int before = sysstatRuns(server);
                    await(() -> sysstatRuns(server) >= before + 3, "three more sysstat runs", log);
                    assertEquals(List.of(), db.abandoned,
                            "sysstat ran three times while the database's first connection still waited for an answer");
                }
            }
        }
    }

    @Test
    void aVersionIsAppliedWhileTheReadOfTheDatabasesFactsWaitsForAnAnswer() throws Exception {
        int port = freePorts(1)[0];
        try (FakeFleetServer server = new FakeFleetServer()) {
            // Version 1 is applied while nothing listens on the port: its facts are read at once
            // (refused). No collector reads the database: only reads of its facts reach it.
            server.publish(1, document(1, port, "enabled = false", "enabled = false"));
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            try (Agent agent = agent(server, log)) {
                agent.start();
                await(() -> applied(server, 1).isPresent(), "version 1 applied", log);
                try (StalledDatabase db = new StalledDatabase(port)) {
                    // Only the push interval changes; the database now logs the agent in and never answers.
                    server.publish(2, document(2, port, "enabled = false", "enabled = false"));
                    agent.pullNow();
                    await(() -> applied(server, 2).isPresent(), "version 2 applied", log);
                    await(() -> db.statements.get() >= 1, "a read of the database's facts waiting for its answer", log);

                    server.publish(3, document(3, port, "enabled = false", "enabled = false"));
                    agent.pullNow();
                    await(() -> applied(server, 3).isPresent(), "version 3 applied", log);
                    assertEquals(List.of(), db.abandoned, "versions 2 and 3 were applied while the read of the"
                            + " database's facts still waited for an answer (it gives up only at the driver's 30 s)");
                    assertEquals(3, agent.appliedVersion());
                    assertTrue(applied(server, 3).get().isNull("postgres"),
                            "no facts claimed for a database that has not answered: " + applied(server, 3).get());
                }
            }
        }
    }

    @Test
    void aVersionForADatabaseThatAnswersNoStatementIsHeldWhileTheNextVersionIsApplied() throws Exception {
        int[] ports = freePorts(2);
        int running = ports[0];
        int stalled = ports[1];
        // Both versions run a PostgreSQL collector, so a version that points them at another database is
        // first checked to reach it. Nothing listens on the running version's port (refused at once).
        try (FakeFleetServer server = new FakeFleetServer()) {
            server.publish(1, document(1, running, "enabled = false", "interval = 60"));
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            try (Agent agent = agent(server, log)) {
                agent.start();
                await(() -> applied(server, 1).isPresent(), "version 1 applied", log);
                try (StalledDatabase db = new StalledDatabase(stalled)) {
                    // Version 2 moves the collectors to a database that logs the agent in and never answers.
                    server.publish(2, document(1, stalled, "enabled = false", "interval = 60"));
                    agent.pullNow();
                    await(() -> db.statements.get() >= 1, "the check of version 2's database waiting for its answer", log);
                    assertEquals(1, agent.appliedVersion(), "version 2 is held while its database is checked");
                    assertTrue(reported(server, 2).isEmpty(), "nothing said of version 2 yet: " + server.statusReports());

                    // Version 3 keeps the running database and changes only push_interval: applied at once.
                    server.publish(3, document(3, running, "enabled = false", "interval = 60"));
                    agent.pullNow();
                    await(() -> applied(server, 3).isPresent(), "version 3 applied", log);
                    assertEquals(List.of(), db.abandoned, "version 3 was applied while the check of version 2's"
                            + " database still waited for an answer (it gives up only at the driver's 30 s)");
                    assertEquals(3, agent.appliedVersion());
                    assertTrue(reported(server, 2).isEmpty(), "version 2 was superseded, never decided: "
                            + server.statusReports());
                    String said = log.toString(StandardCharsets.UTF_8);
                    assertTrue(said.contains("version 2 points the PostgreSQL collectors at another database (127.0.0.1:"
                            + stalled + " as ") && said.contains("checking that the agent can reach it before deciding,"
                            + " version 1 runs meanwhile"), said);
                }
            }
        }
    }

    /** Distinct ports nothing listens on now: connections are refused until a test listens there. */
    private static int[] freePorts(int n) throws IOException {
        // Held open together, so that the kernel cannot hand out one port twice.
        List<ServerSocket> probes = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                probes.add(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
            }
            return probes.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket probe : probes) {
                probe.close();
            }
        }
    }

    /** An agent of this test's directory that registers with {@code server}, logging into {@code log}. */
    private Agent agent(FakeFleetServer server, ByteArrayOutputStream log) throws IOException {
        Files.writeString(dir.resolve("secret"), "s");
        Path file = dir.resolve("agent.toml");
        Files.writeString(file, "server_url = \"" + server.uri() + "\"\nname = \"stalled\"\n"
                + "registration_secret_file = \"secret\"\nstate_dir = \"state\"\n");
        return new Agent(LocalSettings.read(file), new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    /** The statuses the server was told of this version, in order. */
    private static List<String> reported(FakeFleetServer server, int version) {
        List<String> statuses = new java.util.ArrayList<>();
        for (String text : server.statusReports()) {
            try (jakarta.json.JsonReader r = jakarta.json.Json.createReader(new StringReader(text))) {
                jakarta.json.JsonObject o = r.readObject();
                if (o.getInt("version") == version) {
                    statuses.add(o.getString("status"));
                }
            }
        }
        return statuses;
    }

    /** The facts the server was told with the first report of this version applied, if any. */
    private static java.util.Optional<jakarta.json.JsonObject> applied(FakeFleetServer server, int version) {
        for (String text : server.statusReports()) {
            try (jakarta.json.JsonReader r = jakarta.json.Json.createReader(new StringReader(text))) {
                jakarta.json.JsonObject o = r.readObject();
                if (o.getInt("version") == version && o.getString("status").equals("APPLIED")) {
                    return java.util.Optional.of(o.getJsonObject("facts"));
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** How many sysstat runs the server received samples of (their distinct times). */
    private static int sysstatRuns(FakeFleetServer server) {
        Set<String> times = new TreeSet<>();
        server.storedBatches().values().forEach(samples -> samples.forEach(text -> {
            try (jakarta.json.JsonReader r = jakarta.json.Json.createReader(new StringReader(text))) {
                jakarta.json.JsonObject o = r.readObject();
                if (o.getString("name").equals("node_load1")) {
                    times.add(o.getString("ts"));
                }
            }
        }));
        return times.size();
    }

    private static void await(java.util.function.BooleanSupplier condition, String what, ByteArrayOutputStream log)
            throws InterruptedException {
        // Only a bound against a hang: the condition is an event, and the database's socket timeout
        // (30 s) is what the test tells apart.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "waited for " + what + "; the agent's log:\n" + log);
            Thread.sleep(50);
        }
    }

    /**
     * Lets every connection log in (the protocol's startup: trust authentication, the parameters the
     * driver needs) and then answers no statement, as a backend stuck on hung storage: the driver
     * waits for its socket timeout. Notes each connection the agent gives up (closes).
     */
    private static final class StalledDatabase implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        /** Connections that logged in and sent a statement. */
        final AtomicInteger statements = new AtomicInteger();
        final List<Integer> abandoned = new CopyOnWriteArrayList<>();
        private final ServerSocket listener;
        private final List<Socket> held = new CopyOnWriteArrayList<>();

        StalledDatabase(int port) throws IOException {
            listener = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().start(() -> {
                while (!listener.isClosed()) {
                    try {
                        Socket s = listener.accept();
                        held.add(s);
                        int n = accepted.incrementAndGet();
                        Thread.ofPlatform().daemon().start(() -> {
                            try {
                                DataInputStream in = new DataInputStream(s.getInputStream());
                                logIn(in, new DataOutputStream(s.getOutputStream()));
                                if (in.read() >= 0) {
                                    statements.incrementAndGet();
                                }
                                while (in.read() >= 0) {
                                    // statements, read and never answered
                                }
                                abandoned.add(n);
                            } catch (IOException e) {
                                if (!listener.isClosed()) {
                                    abandoned.add(n);
                                }
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        /** The startup of the PostgreSQL protocol (v3), refusing TLS, with trust authentication. */
        private static void logIn(DataInputStream in, DataOutputStream out) throws IOException {
            while (true) {
                int length = in.readInt();
                int code = in.readInt();
                in.readNBytes(length - 8);
                if (code == 80877103 || code == 80877104) {
                    // SSLRequest, GSSENCRequest: not offered
                    out.writeByte('N');
                    out.flush();
                    continue;
                }
                break;
            }
            message(out, 'R', new byte[] {0, 0, 0, 0});
            for (String[] p : new String[][] {{"server_version", "16.0"}, {"client_encoding", "UTF8"},
                    {"DateStyle", "ISO, MDY"}, {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"},
                    {"TimeZone", "UTC"}}) {
                message(out, 'S', (p[0] + "\0" + p[1] + "\0").getBytes(StandardCharsets.UTF_8));
            }
            message(out, 'K', new byte[] {0, 0, 0, 1, 0, 0, 0, 2});
            message(out, 'Z', new byte[] {'I'});
            out.flush();
        }

        private static void message(DataOutputStream out, char type, byte[] body) throws IOException {
            out.writeByte(type);
            out.writeInt(body.length + 4);
            out.write(body);
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
