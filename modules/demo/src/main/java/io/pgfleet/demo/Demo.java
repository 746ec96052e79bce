package io.pgfleet.demo;

import io.pgfleet.server.PgfleetServer;
import io.pgfleet.server.ServerSettings;
import io.pgfleet.server.TlsSettings;

import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./pgfleet demo}: the server on its embedded PostgreSQL, one agent monitoring that same
 * database, a first configuration, then a change a few seconds later — and the agent applying it
 * without a restart, its samples following the new interval — then a group whose layer reaches the
 * agent as a new effective revision. Ctrl-C stops everything.
 */
public final class Demo {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final String ADMIN_PASSWORD = "demo-admin-password";
    private static final String SECRET = "demo-registration-secret";

    private Demo() {
    }

    /**
     * Runs the demo.
     *
     * @param args {@code --agent-jar PATH [--data-dir DIR] [--port N] [--exit-after-reload]}
     * @throws Exception when something cannot start
     */
    public static void main(String[] args) throws Exception {
        Path agentJar = null;
        Path dataDir = Path.of(".pgfleet", "demo");
        int port = 8080;
        boolean exitAfterReload = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--agent-jar" -> agentJar = Path.of(args[++i]);
                case "--data-dir" -> dataDir = Path.of(args[++i]);
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--exit-after-reload" -> exitAfterReload = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (agentJar == null) {
            throw new IllegalArgumentException("--agent-jar is required");
        }
        quietServerLog();
        new Demo().run(agentJar, dataDir.toAbsolutePath(), port, exitAfterReload);
    }

    /**
     * The demo tells its story in its own lines ({@code >>>}) and the agent's ({@code [agent]}); the
     * server it runs in this process logs only warnings and errors. At INFO its log — the embedded
     * PostgreSQL's start, every migration, a request line for each of the agent's pushes every
     * second — buried the story and scrolled it away. An operator's own logging configuration is
     * left as it is.
     */
    private static void quietServerLog() {
        if (System.getProperty("java.util.logging.config.file") == null
                && System.getProperty("java.util.logging.config.class") == null) {
            java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        }
    }

    private static void say(String text) {
        System.out.println("\n>>> " + text);
        System.out.flush();
    }

    private void run(Path agentJar, Path dataDir, int port, boolean exitAfterReload) throws Exception {
        say("Starting the pgfleet server on port " + port + " with its embedded PostgreSQL (data in " + dataDir + ")");
        ServerSettings settings = new ServerSettings("127.0.0.1", port, dataDir.resolve("server"), Optional.empty(),
                "postgres", "", 8, Optional.of(ADMIN_PASSWORD), Optional.of(SECRET), java.time.Duration.ofMinutes(15),
                TlsSettings.none());
        PgfleetServer server = PgfleetServer.start(settings);
        AtomicReference<Process> agentRef = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread cleanup = new Thread(() -> {
            Process p = agentRef.get();
            if (p != null && p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(15, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                }
            }
            server.close();
            System.out.println("\n>>> Stopped the agent, the server and its PostgreSQL. Bye.");
            done.countDown();
        }, "demo-stop");
        Runtime.getRuntime().addShutdownHook(cleanup);

        URI db = URI.create(server.databaseUrl().substring("jdbc:".length()));
        // The agent logs in to the embedded PostgreSQL with its superuser password, read from the
        // 0600 file the server keeps in its data directory (never copied into the configuration).
        Path dbPassword = settings.dataDir().resolve(EmbeddedDatabase.PASSWORD_FILE).toAbsolutePath();
        Path agentDir = dataDir.resolve("agent");
        Files.createDirectories(agentDir);
        Files.writeString(agentDir.resolve("registration-secret"), SECRET);
        Files.writeString(agentDir.resolve("agent.toml"), """
                server_url = "http://127.0.0.1:%d"
                name = "demo-agent"
                labels = { env = "demo" }
                registration_secret_file = "registration-secret"
                state_dir = "state"
                # The demo keeps the database's password in its own data directory.
                allowed_password_dirs = ['%s']
                """.formatted(server.port(), dataDir.toAbsolutePath().normalize()));
        say("Starting an agent (a separate process) that monitors this same PostgreSQL");
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-jar", agentJar.toString(), "--config",
                agentDir.resolve("agent.toml").toString()).redirectErrorStream(true).start();
        agentRef.set(agent);
        Set<String> agentLines = java.util.Collections.synchronizedSet(new LinkedHashSet<>());
        CountDownLatch registered = new CountDownLatch(1);
        AtomicReference<String> collectorId = new AtomicReference<>();
        Pattern reg = Pattern.compile("registered as collector (\\S+)");
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    agentLines.add(line);
                    System.out.println("    [agent] " + line);
                    Matcher m = reg.matcher(line);
                    if (m.find()) {
                        collectorId.set(m.group(1));
                        registered.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the agent stopped
            }
        });
        if (!registered.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the agent did not register");
        }
        String id = collectorId.get();
        long pid = agent.pid();
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.port();
        String token = login(http, base);

        say("Publishing configuration version 1 for " + id + ": pg_stats every 10 s");
        publish(http, base, token, id, document(db, dbPassword, 10));
        awaitLine(agentLines, "applied configuration version 1 ");
        watchSamples(http, base, token, id, 2, pid, agent);

        say("Publishing configuration version 2: pg_stats every 2 s (the agent keeps running)");
        publish(http, base, token, id, document(db, dbPassword, 2));
        awaitLine(agentLines, "applied configuration version 2 ");
        watchSamples(http, base, token, id, 4, pid, agent);

        say("Creating the group demo-hosts (every collector labelled env=demo) and publishing its layer:"
                + " pg_locks on, every 2 s — a change to the group, not to " + id);
        send(http, base, token, "POST", "/api/v1/groups",
                "{\"id\":\"demo-hosts\",\"selector\":{\"env\":\"demo\"},\"priority\":10}", "application/json");
        send(http, base, token, "PUT", "/api/v1/groups/demo-hosts/config",
                "[collectors.pg_locks]\nenabled = true\ninterval = 2\n", "application/toml");
        awaitLine(agentLines, "applied configuration version 3 ");
        HttpResponse<String> effective = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/config/" + id))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("    [server] GET /api/v1/config/" + id + " -> effective revision "
                + effective.headers().firstValue("X-Config-Version").orElse("?") + " from "
                + effective.headers().firstValue("X-Config-Sources").orElse("?"));
        System.out.println("    [console] " + base + "/ui/ (user admin, password " + ADMIN_PASSWORD + "): the fleet, the diff"
                + " of versions 1 and 2, the editor");
        say("The agent (pid " + agent.pid() + ", the same process as before) now collects pg_stats every ~2 s, and"
                + " pg_locks because of its group. " + (exitAfterReload ? "Done." : "Press Ctrl-C to stop."));
        if (exitAfterReload) {
            System.exit(0);
        }
        done.await();
    }

    private static String document(URI db, Path passwordFile, int pgStatsInterval) {
        return """
                [collector]
                push_interval = 1

                [postgres]
                host = "%s"
                port = %d
                user = "postgres"
                password_file = "%s"
                databases = ["postgres"]
                sslmode = "disable"

                [collectors.pg_stats]
                interval = %d

                [collectors.pg_connections]
                interval = 10
                """.formatted(db.getHost(), db.getPort(), passwordFile, pgStatsInterval);
    }

    private static String login(HttpClient http, String base) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"" + ADMIN_PASSWORD + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return r.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
    }

    private static void publish(HttpClient http, String base, String token, String id, String toml)
            throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/config/" + id))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/toml")
                .PUT(HttpRequest.BodyPublishers.ofString(toml)).build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("    [server] PUT /api/v1/config/" + id + " -> " + r.statusCode() + " " + r.body());
    }

    private static void send(HttpClient http, String base, String token, String method, String path, String body,
                             String type) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", type)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("    [server] " + method + " " + path + " -> " + r.statusCode() + " " + r.body());
    }

    private static void awaitLine(Set<String> lines, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            synchronized (lines) {
                if (lines.stream().anyMatch(l -> l.contains(text))) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the agent never said: " + text);
    }

    /** Prints each new pg_stats sample as it reaches the server, until {@code count} new ones arrived. */
    private static void watchSamples(HttpClient http, String base, String token, String id, int count, long pid,
                                     Process agent) throws IOException, InterruptedException {
        Set<String> seen = new LinkedHashSet<>();
        String samples = base + "/api/v1/collectors/" + id + "/metrics?name=pg_stat_database_xact_commit";
        // From a second ago, then on from where the last answer ended (its cursor): each sample is read once.
        String next = samples + "&since=" + java.net.URLEncoder.encode(Instant.now().minusSeconds(1).toString(),
                StandardCharsets.UTF_8);
        Instant previous = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (seen.size() < count && System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(next))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
            Matcher cursor = Pattern.compile("\"cursor\":\"([^\"]+)\"").matcher(r.body());
            if (cursor.find()) {
                next = samples + "&after=" + cursor.group(1);
            }
            Matcher m = Pattern.compile("\"ts\":\"([^\"]+)\"").matcher(r.body());
            while (m.find()) {
                if (seen.add(m.group(1))) {
                    Instant ts = Instant.parse(m.group(1));
                    System.out.println("    [samples] pg_stats sample stored, measured at " + CLOCK.format(ts)
                            + (previous == null ? "" : "  (" + java.time.Duration.between(previous, ts).toMillis() / 1000.0
                            + " s after the previous one)") + "  — agent pid " + pid + (agent.pid() == pid ? "" : " CHANGED"));
                    previous = ts;
                }
            }
            if (!r.body().contains("\"next\":\"")) {
                Thread.sleep(500); // read to the end: wait for the agent's next push
            }
        }
    }
}
