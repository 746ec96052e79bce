package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.AgentDocument.monitoring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Agent and server as operators install them: {@code packaging/package.sh} builds the .debs and the
 * agent's tarball from the shaded jars, the .debs are unpacked into fresh roots ({@code dpkg-deb -x})
 * and their {@code pgfleet-server} and {@code pgfleet-agent} commands run with no JDK on PATH and no
 * JAVA_HOME — only the packages' own runtimes — the server on its shipped server.toml and an
 * external (test) PostgreSQL, as docs/install.md does it. An upgrade to a newer package (the same
 * build with a higher package version: building twice from source would double the time for no
 * other difference) keeps the collector id. {@code dpkg-deb -x} runs no maintainer scripts and
 * knows no conffiles, so what dpkg itself does on a host (user creation, keeping an edited
 * agent.toml) is checked in the package's metadata instead.
 */
class PackagesIT {

    private static final Duration SOON = Duration.ofSeconds(90);
    private static final String VERSION = System.getProperty("pgfleet.version", "0.1.0-SNAPSHOT");
    private static final String DEB_VERSION = VERSION.replace('-', '~');
    private static final String UPGRADE_VERSION = DEB_VERSION + ".1";

    private static Path dir;
    private static Path deb;
    private static Path upgradeDeb;
    private static Path tarball;
    private static TestDatabase db;
    private static Path serverDeb;
    private static ServerProcess server;
    private static ApiClient admin;

    @BeforeAll
    static void buildPackagesAndStartServer() throws Exception {
        dir = Files.createTempDirectory("pgfleet-package-it");
        Path cache = Path.of("target", "package-cache").toAbsolutePath();
        // Each product's first build makes its runtime (jdeps and jlink, about 20 s of one core on a
        // fresh clone): the server's is built while the agent's are, into a directory of its own (a
        // build clears its output directory's work area when it ends).
        CompletableFuture<Void> serverPackage = CompletableFuture.runAsync(() -> {
            try {
                build(dir.resolve("server"), cache, DEB_VERSION, "server", "deb");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        build(dir.resolve("v1"), cache, DEB_VERSION, "agent", "deb,tar");
        build(dir.resolve("v2"), cache, UPGRADE_VERSION, "agent", "deb");
        serverPackage.join();
        serverDeb = dir.resolve("server").resolve("pgfleet-server_" + DEB_VERSION + "_amd64.deb");
        deb = dir.resolve("v1").resolve("pgfleet-agent_" + DEB_VERSION + "_amd64.deb");
        upgradeDeb = dir.resolve("v2").resolve("pgfleet-agent_" + UPGRADE_VERSION + "_amd64.deb");
        tarball = dir.resolve("v1").resolve("pgfleet-agent-" + VERSION + "-linux-x64.tar.gz");

        db = TestPostgres.newDatabase();
        Path root = dir.resolve("server-host");
        run(List.of("dpkg-deb", "-x", serverDeb.toString(), root.toString()));
        ProcessBuilder pb = new ProcessBuilder(root.resolve("usr/bin/pgfleet-server").toString(), "--config",
                root.resolve("etc/pgfleet/server.toml").toString());
        withoutJdk(pb);
        // What the unit and /etc/pgfleet/secrets/server.env give it on a host; here a test database.
        pb.environment().putAll(Map.of("PGFLEET_DATA_DIR", root.resolve("var/lib/pgfleet-server").toString(),
                "PGFLEET_PORT", "0", "PGFLEET_HOST", "127.0.0.1", "PGFLEET_DB_URL", db.url(),
                "PGFLEET_DB_USER", db.user(), "PGFLEET_DB_PASSWORD", db.password(),
                "PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD,
                "PGFLEET_REGISTRATION_SECRET", ServerSettings.TEST_REGISTRATION_SECRET));
        server = ServerProcess.start(pb);
        admin = ApiClient.asAdmin(server.port());
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        run(List.of("rm", "-rf", dir.toString()));
    }

    private static void build(Path out, Path cache, String packageVersion, String product, String formats)
            throws IOException {
        String script = System.getProperty("pgfleet.packaging.script", "../../packaging/package.sh");
        run(List.of(script, "--jdk", System.getProperty("java.home"), "--version", VERSION,
                "--agent-jar", Path.of(System.getProperty("pgfleet.agent.jar", "../agent/target/pgfleet-agent.jar"))
                        .toAbsolutePath().toString(),
                "--server-jar", Path.of(System.getProperty("pgfleet.server.jar", "target/pgfleet-server.jar"))
                        .toAbsolutePath().toString(),
                "--only", product, "--out", out.toString(), "--cache", cache.toString(),
                "--package-version", packageVersion, "--formats", formats, "--compression", "none"));
    }

    /** Runs a command to its end; its output, or an assertion error with the output. */
    private static String run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed:\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return out;
    }

    @Test
    void theDebCarriesItsConffileUnitHardeningUserAndPermissions() throws IOException {
        assertEquals("/etc/pgfleet/agent.toml", run(List.of("dpkg-deb", "-I", deb.toString(), "conffiles")).trim(),
                "agent.toml is a conffile: dpkg never overwrites an edited one on upgrade");
        String control = run(List.of("dpkg-deb", "-f", deb.toString()));
        assertTrue(control.contains("Package: pgfleet-agent\n") && control.contains("Version: " + DEB_VERSION + "\n")
                && control.contains("Architecture: amd64\n"), control);

        String postinst = run(List.of("dpkg-deb", "-I", deb.toString(), "postinst"));
        assertTrue(postinst.contains("adduser --system") && postinst.contains("useradd --system"), postinst);
        assertTrue(postinst.contains("STATE=/var/lib/pgfleet-agent"), postinst);
        assertTrue(postinst.contains("install -d -m 0700 -o pgfleet -g pgfleet \"$STATE\""), postinst);
        assertTrue(postinst.contains("chgrp pgfleet"), postinst);
        String postrm = run(List.of("dpkg-deb", "-I", deb.toString(), "postrm"));
        // The state goes on purge only: the only rm of it sits in the purge branch.
        assertEquals(1, postrm.split("rm -rf /var/lib/pgfleet-agent", -1).length - 1, postrm);
        assertTrue(postrm.matches("(?s).*purge\\)\\s+rm -rf /var/lib/pgfleet-agent.*"), postrm);

        String listing = run(List.of("dpkg-deb", "-c", deb.toString()));
        assertTrue(listing.matches("(?s).*drwxr-x--- root/root .* \\./etc/pgfleet/secrets/\n.*"),
                "secrets directory 0750:\n" + listing);
        assertTrue(listing.matches("(?s).*-rw-r----- root/root .* \\./etc/pgfleet/agent\\.toml\n.*"), listing);
        assertTrue(listing.contains("./usr/bin/pgfleet-agent -> ../lib/pgfleet-agent/bin/pgfleet-agent"), listing);
        assertTrue(listing.contains("./usr/lib/systemd/system/pgfleet-agent.service"), listing);
        assertFalse(listing.contains("/var/lib/pgfleet-agent/"), "no state shipped in the package:\n" + listing);

        Path root = dir.resolve("inspect");
        run(List.of("dpkg-deb", "-x", deb.toString(), root.toString()));
        List<String> unit = Files.readAllLines(root.resolve("usr/lib/systemd/system/pgfleet-agent.service"));
        for (String line : List.of("User=pgfleet", "ExecStart=/usr/bin/pgfleet-agent --config /etc/pgfleet/agent.toml",
                "ExecReload=/bin/kill -HUP $MAINPID", "ProtectSystem=strict", "NoNewPrivileges=true",
                "ReadWritePaths=/var/lib/pgfleet-agent", "StateDirectory=pgfleet-agent", "PrivateTmp=true",
                "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6")) {
            assertTrue(unit.contains(line), "the unit has " + line + ":\n" + String.join("\n", unit));
        }
        String modules = Files.readAllLines(root.resolve("usr/lib/pgfleet-agent/runtime/release")).stream()
                .filter(l -> l.startsWith("MODULES=")).findFirst().orElseThrow();
        List<String> mods = Arrays.asList(modules.replaceAll("MODULES=|\"", "").split(" "));
        assertTrue(mods.containsAll(List.of("java.base", "java.sql", "java.naming", "jdk.unsupported")), modules);
        assertFalse(mods.contains("java.desktop") || mods.contains("jdk.compiler") || mods.contains("jdk.jlink"),
                "only what the agent needs: " + modules);
        assertFalse(Files.exists(root.resolve("usr/lib/pgfleet-agent/runtime/man")), "no man pages");
        assertFalse(Files.exists(root.resolve("usr/lib/pgfleet-agent/runtime/include")), "no header files");
        assertFalse(Files.exists(root.resolve("usr/lib/pgfleet-agent/runtime/bin/javac")), "a runtime, not a JDK");
        assertEquals(root.resolve("usr/lib/pgfleet-agent/bin/pgfleet-agent").toRealPath(),
                root.resolve("usr/bin/pgfleet-agent").toRealPath());

        // The JVM options measured in docs/benchmarks.md, as shipped: the JIT on (C1), no class-data
        // sharing (the runtime carries no archive; the JDK's default one costs more memory than it saves).
        Path options = root.resolve("usr/lib/pgfleet-agent/lib/jvm.options");
        assertEquals(Files.readString(Path.of(System.getProperty("pgfleet.agent.jvm.options",
                "../../deploy/pgfleet-agent.jvm.options"))), Files.readString(options));
        String launcher = Files.readString(root.resolve("usr/lib/pgfleet-agent/bin/pgfleet-agent"));
        assertTrue(launcher.contains("\"@$home/lib/jvm.options\"") && launcher.contains("MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}"),
                launcher);
        String version = run(List.of(root.resolve("usr/lib/pgfleet-agent/runtime/bin/java").toString(), "@" + options,
                "-version"));
        assertTrue(version.contains("mixed mode") && !version.contains("interpreted mode"), "the JIT is on:\n" + version);
        assertFalse(version.contains("sharing"), "no class-data sharing:\n" + version);
        try (var files = Files.walk(root.resolve("usr/lib/pgfleet-agent/runtime"))) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".jsa")).toList(), "no CDS archive shipped");
        }

        String tarList = run(List.of("tar", "-tzf", tarball.toString()));
        String top = "pgfleet-agent-" + VERSION + "-linux-x64/";
        for (String entry : List.of("bin/pgfleet-agent", "lib/pgfleet-agent.jar", "runtime/bin/java",
                "share/pgfleet-agent.service", "share/agent.toml.example")) {
            assertTrue(tarList.contains(top + entry + "\n"), "the tarball has " + entry + ":\n" + tarList);
        }
    }

    @Test
    void theServerDebHasItsConffileUnitAndDataDirectory() throws IOException {
        assertEquals("/etc/pgfleet/server.toml", run(List.of("dpkg-deb", "-I", serverDeb.toString(), "conffiles")).trim());
        assertTrue(run(List.of("dpkg-deb", "-I", serverDeb.toString(), "postinst"))
                .contains("STATE=/var/lib/pgfleet-server"));
        Path root = dir.resolve("server-host");
        List<String> unit = Files.readAllLines(root.resolve("usr/lib/systemd/system/pgfleet-server.service"));
        for (String line : List.of("User=pgfleet", "ProtectSystem=strict", "NoNewPrivileges=true",
                "ReadWritePaths=/var/lib/pgfleet-server", "Environment=PGFLEET_DATA_DIR=/var/lib/pgfleet-server",
                "EnvironmentFile=-/etc/pgfleet/secrets/server.env")) {
            assertTrue(unit.contains(line), "the unit has " + line + ":\n" + String.join("\n", unit));
        }
        assertEquals(root.resolve("usr/lib/pgfleet-server/runtime/bin/java").toRealPath(),
                Path.of("/proc", Long.toString(server.pid()), "exe").toRealPath(), "runs on the package's own runtime");

        // The JVM options measured in docs/benchmarks.md, as shipped: a 512 MB heap (10,000 held
        // watches are about 280 MiB live) and generational ZGC (pauses that do not grow with them).
        Path options = root.resolve("usr/lib/pgfleet-server/lib/jvm.options");
        assertEquals(Files.readString(Path.of("../../deploy/pgfleet-server.jvm.options")), Files.readString(options));
        String flags = run(List.of(root.resolve("usr/lib/pgfleet-server/runtime/bin/java").toString(), "@" + options,
                "-XX:+PrintFlagsFinal", "-version"));
        assertTrue(Pattern.compile("\\sMaxHeapSize\\s+= 536870912\\s").matcher(flags).find(), "a 512 MB heap:\n" + flags);
        assertTrue(Pattern.compile("\\sUseZGC\\s+= true\\s").matcher(flags).find(), "ZGC:\n" + flags);
        assertFalse(flags.contains("VM warning"), "no option the runtime ignores:\n" + flags);
        // The installed command starts with them: ZGC's threads, the generational mode's young driver.
        List<String> threads = threadNames(server.pid());
        assertTrue(threads.contains("ZDirector") && threads.contains("ZDriverMinor"), "generational ZGC: " + threads);
        assertFalse(threads.stream().anyMatch(t -> t.startsWith("G1 ")), "no G1 threads: " + threads);
    }

    @Test
    void theInstalledAgentRunsOnItsOwnRuntimeEnrolsAppliesAndKeepsItsIdentityAcrossAnUpgrade() throws Exception {
        Path root = dir.resolve("host");
        run(List.of("dpkg-deb", "-x", deb.toString(), root.toString()));
        // What the operator does after installing: provision the collector, hand the host a token.
        assertEquals(201, admin.postJson("/api/v1/collectors", "{\"id\": \"pkg-db-01\", \"labels\": {\"env\": \"test\"}}")
                .statusCode());
        var issued = admin.postJson("/api/v1/collectors/pkg-db-01/enrolment-token", "{}");
        assertEquals(201, issued.statusCode(), issued.body());
        // The host's /etc/pgfleet lives beside the root: dpkg keeps an edited conffile, dpkg-deb -x would not.
        Path etc = Files.createDirectories(dir.resolve("host-etc").resolve("secrets"));
        Files.writeString(etc.resolve("enrolment-token"),
                issued.body().replaceFirst(".*\"enrolment_token\":\"([^\"]+)\".*", "$1"));
        Path config = etc.getParent().resolve("agent.toml");
        Path state = root.resolve("var/lib/pgfleet-agent");
        Files.writeString(config, """
                server_url = "http://127.0.0.1:%d"
                name = "pkg-db-01"
                enrolment_token_file = "secrets/enrolment-token"
                state_dir = "%s"
                """.formatted(server.port(), state));

        String id;
        try (AgentProcess agent = startInstalled(root, config)) {
            id = register(agent);
            assertEquals("pkg-db-01", id, "enrolled as the provisioned collector");
            assertEquals(root.resolve("usr/lib/pgfleet-agent/runtime/bin/java").toRealPath(),
                    Path.of("/proc", Long.toString(agent.pid()), "exe").toRealPath(), "runs on the package's own runtime");
            publish(id, monitoring(db).pgStats(true, 1).toml());
            agent.await("applied configuration version 1 ", SOON);
            awaitSamples(id);
            String fleet = admin.get("/api/v1/collectors").body();
            assertTrue(fleet.contains("\"agent_version\":\"" + VERSION + "\""), "the fleet view shows its version: " + fleet);
            // Started as the unit starts it: the JIT compiles (C1 only: no C2 thread), glibc keeps two arenas.
            List<String> threads = threadNames(agent.pid());
            assertTrue(threads.contains("C1 CompilerThre"), "a C1 compiler thread: " + threads);
            assertFalse(threads.stream().anyMatch(t -> t.startsWith("C2 ")), "no C2 compiler: " + threads);
            String environ = Files.readString(Path.of("/proc", Long.toString(agent.pid()), "environ"));
            assertTrue(Arrays.asList(environ.split("\0")).contains("MALLOC_ARENA_MAX=2"), environ);
            System.out.println("installed agent (" + DEB_VERSION + ") resident set: " + rssKb(agent.pid()) + " kB");
        }
        assertTrue(Files.exists(state.resolve("identity.properties")));
        assertTrue(Files.exists(state.resolve("last-known-good.toml")));

        // Upgrade: the newer package's files over the old ones; the state directory is not in the package.
        run(List.of("dpkg-deb", "-x", upgradeDeb.toString(), root.toString()));
        assertEquals(UPGRADE_VERSION, Files.readString(root.resolve("usr/lib/pgfleet-agent/VERSION")).trim());
        try (AgentProcess agent = startInstalled(root, config)) {
            agent.await("starting, collector " + Pattern.quote(id) + ";", SOON);
            publish(id, monitoring(db).pgStats(true, 2).toml());
            agent.await("applied configuration version 2 ", SOON);
            assertEquals(0, agent.count("registered as collector"), "no new registration:\n" + agent.output());
        }
        String fleet = admin.get("/api/v1/collectors").body();
        assertEquals(1, fleet.split("\"name\":\"pkg-db-01\"", -1).length - 1, "one collector, the same: " + fleet);
    }

    /** The installed command, with a PATH holding no java (only what its shell script uses) and no JAVA_HOME. */
    private static AgentProcess startInstalled(Path root, Path config) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(root.resolve("usr/bin/pgfleet-agent").toString(), "--config",
                config.toString());
        withoutJdk(pb);
        return AgentProcess.start(pb, root.resolve("var/lib/pgfleet-agent"));
    }

    /** No JAVA_HOME and a PATH holding no java: only readlink, which the commands' shell scripts use. */
    private static void withoutJdk(ProcessBuilder pb) throws IOException {
        Path tools = dir.resolve("tools");
        if (!Files.exists(tools)) {
            Files.createDirectories(tools);
            Files.createSymbolicLink(tools.resolve("readlink"), Path.of("/usr/bin/readlink").toRealPath());
        }
        pb.environment().keySet().removeIf(k -> k.startsWith("JAVA") || k.startsWith("JDK_") || k.startsWith("PGFLEET_"));
        pb.environment().put("PATH", tools.toString());
    }

    private static String register(AgentProcess agent) throws InterruptedException {
        int line = agent.await("registered as collector ", SOON);
        return agent.output().lines().skip(line).findFirst().orElseThrow().replaceAll(".*registered as collector ", "").trim();
    }

    private static void publish(String id, String toml) {
        var r = admin.putToml("/api/v1/config/" + id, toml);
        assertTrue(r.statusCode() == 201 || r.statusCode() == 200, r.body());
    }

    /** Polls the database until the agent's samples arrive: JDBC and HTTP work on the trimmed runtime. */
    private static void awaitSamples(String id) throws Exception {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*) FROM samples WHERE collector_id = ? AND name = 'pg_stat_database_xact_commit'")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the installed agent's pg_stats samples never arrived");
    }

    /** The names of a process's threads, as the kernel knows them (15 characters at most). */
    private static List<String> threadNames(long pid) throws IOException {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            List<String> names = new ArrayList<>();
            for (Path t : tasks.toList()) {
                names.add(Files.readString(t.resolve("comm")).trim());
            }
            return names;
        }
    }

    private static long rssKb(long pid) throws IOException {
        List<String> status = new ArrayList<>(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")));
        for (String line : status) {
            Matcher m = Pattern.compile("VmRSS:\\s+(\\d+) kB").matcher(line);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return -1;
    }
}
