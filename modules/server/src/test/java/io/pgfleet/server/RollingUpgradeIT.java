package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A rolling upgrade, as docs/operations.md describes it: the previous release's server jar (built
 * from its git tag, once per commit, cached under {@code target/previous-release/}) serves a
 * database; this release's jar starts on the same database and migrates the schema while the old
 * one keeps serving; both then serve reads and accept publishes, each sees the other's publishes
 * through a watch, and a collector reading through the old instance keeps working, across a
 * restart of the old instance on the migrated schema too.
 */
class RollingUpgradeIT {

    /** The release this one upgrades from. */
    static final String PREVIOUS_RELEASE = "v0.2.0";
    /**
     * The commit the tag names. Clones that carry main's history but not its tags (CI clones
     * often do) still find the release by this commit, which is an ancestor of main.
     */
    static final String PREVIOUS_RELEASE_COMMIT = "62a7ea281a07245b185b6a84c2a77a8e288e2af3";

    private static final Map<String, String> ENV = Map.of(
            "PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD,
            "PGFLEET_REGISTRATION_SECRET", ServerSettings.TEST_REGISTRATION_SECRET,
            "PGFLEET_DB_POOL_SIZE", "4");

    @Test
    void theOldAndTheNewReleaseServeOneDatabaseSideBySide() throws Exception {
        Path oldJar = previousReleaseJar();
        TestDatabase db = emptyDatabase();
        Path dir = Files.createTempDirectory("pgfleet-upgrade");
        try (ServerProcess old = startJar(oldJar, db, dir.resolve("old"))) {
            ApiClient adminOld = ApiClient.asAdmin(old.port());
            assertEquals(201, adminOld.postJson("/api/v1/collectors", "{\"id\":\"roll-1\",\"labels\":{\"env\":\"prod\"}}")
                    .statusCode());
            assertEquals(201, adminOld.putToml("/api/v1/config/roll-1", "[collector]\npush_interval = 21\n").statusCode());
            ApiClient agent = new ApiClient(old.port());
            String agentId = register(agent);
            assertEquals(201, adminOld.putToml("/api/v1/config/" + agentId, "[collector]\npush_interval = 22\n")
                    .statusCode());

            // The agent keeps reading through the old instance while the new one migrates the schema.
            AtomicBoolean reading = new AtomicBoolean(true);
            AtomicInteger reads = new AtomicInteger();
            CompletableFuture<String> failures = CompletableFuture.supplyAsync(() -> {
                StringBuilder failed = new StringBuilder();
                while (reading.get()) {
                    HttpResponse<String> r = agent.get("/api/v1/config/" + agentId);
                    reads.incrementAndGet();
                    if (r.statusCode() != 200 || !r.body().contains("push_interval = 22")) {
                        failed.append(r.statusCode()).append(' ');
                    }
                }
                return failed.toString();
            });
            int before = schemaVersion(db);
            try (ServerProcess fresh = ServerProcess.start(dir.resolve("new"), env(db))) {
                assertTrue(schemaVersion(db) > before, "the new release migrated the schema (" + before + " → "
                        + schemaVersion(db) + ")");
                reading.set(false);
                assertEquals("", failures.get(60, TimeUnit.SECONDS), "reads through the old instance during the migration");
                assertTrue(reads.get() > 0);

                ApiClient adminNew = ApiClient.asAdmin(fresh.port());
                HttpResponse<String> onOld = adminOld.get("/api/v1/config/roll-1");
                HttpResponse<String> onNew = adminNew.get("/api/v1/config/roll-1");
                assertEquals(200, onOld.statusCode());
                assertEquals(onOld.body(), onNew.body(), "both serve the same document");
                assertEquals(version(onOld), version(onNew));
                refreshTokensRotateThroughEitherRelease(old.port(), fresh.port());

                // A publish through the new instance wakes a watch held on the old one, and the reverse.
                publishSeenThroughTheOther(adminNew, adminOld, "roll-1", "[collector]\npush_interval = 23\n");
                publishSeenThroughTheOther(adminOld, adminNew, "roll-1", "[collector]\npush_interval = 24\n");
                // A fleet layer published through the new instance reaches the agent reading through the old one.
                int agentVersion = version(agent.get("/api/v1/config/" + agentId));
                CompletableFuture<HttpResponse<String>> agentWatch = CompletableFuture.supplyAsync(() ->
                        agent.get("/api/v1/config/" + agentId + "?wait=20&after=" + agentVersion));
                assertEquals(201, adminNew.putToml("/api/v1/fleet/config", "[collector]\nconfig_pull_interval = 120\n")
                        .statusCode());
                HttpResponse<String> woken = agentWatch.get(30, TimeUnit.SECONDS);
                assertEquals(200, woken.statusCode(), woken.body());
                assertTrue(woken.body().contains("config_pull_interval = 120") && woken.body().contains("push_interval = 22"), woken.body());

                // The old release restarts on the migrated schema (an instance restarted mid-upgrade).
                old.kill();
                try (ServerProcess oldAgain = startJar(oldJar, db, dir.resolve("old"))) {
                    ApiClient agentAgain = new ApiClient(oldAgain.port());
                    agentAgain.useToken(agent.token());
                    HttpResponse<String> r = agentAgain.get("/api/v1/config/" + agentId);
                    assertEquals(200, r.statusCode(), r.body());
                    assertEquals(woken.body(), r.body());
                    publishSeenThroughTheOther(ApiClient.asAdmin(oldAgain.port()), adminNew, "roll-1",
                            "[collector]\npush_interval = 25\n");
                }
            }
        } finally {
            ServerProcess.deleteTree(dir);
        }
    }

    /**
     * A session's refresh tokens rotate through old and new instances alike, and a lost answer's
     * retry through the new one is answered; the old one refuses the pair that retry replaced.
     */
    private static void refreshTokensRotateThroughEitherRelease(int oldPort, int newPort) {
        String r1 = refreshToken(new ApiClient(oldPort).login("admin", ServerSettings.TEST_ADMIN_PASSWORD));
        String r2 = refreshToken(refresh(newPort, r1));
        String r3 = refreshToken(refresh(oldPort, r2));
        String lost = refreshToken(refresh(newPort, r3));
        String retried = refreshToken(refresh(newPort, r3));
        assertEquals(401, refresh(oldPort, lost).statusCode(), "the replaced pair is revoked for the old release too");
        refreshToken(refresh(oldPort, retried));
    }

    private static HttpResponse<String> refresh(int port, String token) {
        return new ApiClient(port).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + token + "\"}");
    }

    private static String refreshToken(HttpResponse<String> answer) {
        assertEquals(200, answer.statusCode(), answer.body());
        return ApiClient.field(answer.body(), "refresh_token");
    }

    /** Registers a collector as its agent does, gives the client its token, and answers its id. */
    private static String register(ApiClient c) {
        HttpResponse<String> r = c.send(c.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"rolling\"}")));
        assertEquals(201, r.statusCode(), r.body());
        c.useToken(ApiClient.field(r.body(), "access_token"));
        return ApiClient.field(r.body(), "collector_id");
    }

    private static void publishSeenThroughTheOther(ApiClient publisher, ApiClient watcher, String id, String toml)
            throws Exception {
        int current = version(watcher.get("/api/v1/config/" + id));
        CompletableFuture<HttpResponse<String>> watch = CompletableFuture.supplyAsync(() ->
                watcher.get("/api/v1/config/" + id + "?wait=20&after=" + current));
        assertEquals(201, publisher.putToml("/api/v1/config/" + id, toml).statusCode());
        HttpResponse<String> answer = watch.get(30, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        String setting = toml.strip().lines().reduce((first, last) -> last).orElseThrow();
        assertTrue(answer.body().contains(setting + "\n"), answer.body());
        assertEquals(current + 1, version(answer));
    }

    private static int version(HttpResponse<String> r) {
        return Integer.parseInt(r.headers().firstValue("X-Config-Version").orElse("0"));
    }

    private static Map<String, String> env(TestDatabase db) {
        Map<String, String> env = new java.util.HashMap<>(ENV);
        env.put("PGFLEET_DB_URL", db.url());
        env.put("PGFLEET_DB_USER", db.user());
        env.put("PGFLEET_DB_PASSWORD", db.password());
        return env;
    }

    private static ServerProcess startJar(Path jar, TestDatabase db, Path dataDir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toString());
        pb.environment().putAll(env(db));
        pb.environment().put("PGFLEET_DATA_DIR", dataDir.toString());
        pb.environment().put("PGFLEET_PORT", "0");
        pb.environment().put("PGFLEET_HOST", "127.0.0.1");
        return ServerProcess.start(pb);
    }

    private static int schemaVersion(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT max(version::int) FROM flyway_schema_history WHERE success")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** A database on the test PostgreSQL that no release has migrated yet. */
    private static TestDatabase emptyDatabase() throws Exception {
        TestDatabase any = TestPostgres.newDatabase();
        String name = "upgrade_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        try (Connection c = any.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        String url = any.url().replaceFirst("/[^/?]+(\\?.*)?$", "/" + name + "$1");
        return new TestDatabase(url, any.user(), any.password());
    }

    // ---- the previous release's jar

    /**
     * The previous release's server jar, built from its tag with the Maven Wrapper the first time
     * and kept under the build directory by commit, so later runs cost nothing.
     */
    static Path previousReleaseJar() throws Exception {
        Path root = Path.of(git(Path.of("").toAbsolutePath(), "rev-parse", "--show-toplevel").strip());
        String commit = resolveCommit(root, PREVIOUS_RELEASE + "^{commit}")
                .or(() -> resolveCommit(root, PREVIOUS_RELEASE_COMMIT + "^{commit}"))
                .orElse(null);
        if (commit == null) {
            String shallow = git(root, "rev-parse", "--is-shallow-repository").strip();
            fail("neither the tag " + PREVIOUS_RELEASE + " nor its commit " + PREVIOUS_RELEASE_COMMIT
                    + " of the previous release is in this clone"
                    + ("true".equals(shallow) ? " (a shallow clone: run `git fetch --tags --unshallow`)"
                    : " (run `git fetch --tags`)") + "; the rolling-upgrade test builds that release from it");
        }
        Path cache = root.resolve("modules/server/target/previous-release").resolve(commit);
        Path jar = cache.resolve("pgfleet-server.jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        Path src = Files.createTempDirectory("pgfleet-" + PREVIOUS_RELEASE);
        try {
            // git archive: the tagged tree alone, whatever state this checkout is in.
            Path tar = src.resolve("src.tar");
            git(root, "archive", "--format=tar", "-o", tar.toString(), commit);
            run(src, List.of("tar", "-xf", tar.toString()));
            // maven.test.skip, not skipTests: only the jar is wanted, and compiling the release's
            // tests (over eighty classes in the modules it builds) took a quarter of the build's CPU.
            run(src, List.of("sh", "./mvnw", "-B", "-ntp", "-q", "-Dmaven.test.skip=true", "package", "-pl", "modules/server",
                    "-am"));
            Files.createDirectories(cache);
            Path partial = cache.resolve("pgfleet-server.jar.partial");
            Files.copy(src.resolve("modules/server/target/pgfleet-server.jar"), partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE);
            return jar;
        } finally {
            ServerProcess.deleteTree(src);
        }
    }

    private static java.util.Optional<String> resolveCommit(Path root, String rev) {
        try {
            return java.util.Optional.of(git(root, "rev-parse", "--verify", "--quiet", rev).strip());
        } catch (Exception missing) {
            return java.util.Optional.empty();
        }
    }

    private static String git(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
        command.addAll(List.of(args));
        return run(dir, command);
    }

    private static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        // The previous release is built with the JDK running the tests (a JDK ≥ 21).
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }
}
