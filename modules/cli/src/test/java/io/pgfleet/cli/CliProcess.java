package io.pgfleet.cli;

import io.pgfleet.server.PgfleetServer;
import io.pgfleet.server.ServerSettings;
import io.pgfleet.testing.TestDatabase;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Runs the shipped CLI jar as a process, the way an operator or a script does, with its own
 * configuration directory (so tests never touch the real user's session).
 */
final class CliProcess {

    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Path JAR = Path.of(System.getProperty("pgfleet.cli.jar", "target/pgfleet-cli.jar"));

    /**
     * The class-data archive every run starts with, as the launcher's ({@code ./pgfleet}) runs do:
     * one per test JVM, made before the first run by a run of its own, so that no two runs write it
     * at once (the integration tests run in parallel JVMs, and some tests start CLIs side by side).
     * It halves the start of each of the hundreds of CLI processes the tests run.
     */
    private static final class Archive {
        static final Path FILE = made();

        private static Path made() {
            Path file = Path.of("target", "cli-cds", ProcessHandle.current().pid() + ".jsa").toAbsolutePath();
            try {
                Files.createDirectories(file.getParent());
                Path config = Files.createTempDirectory(file.getParent(), "training");
                // A command that loads picocli, the session and the HTTP client without a server.
                ProcessBuilder pb = new ProcessBuilder(java(file, "config", "get", "training"))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.environment().keySet().removeIf(k -> k.startsWith("PGFLEET_"));
                pb.environment().put("PGFLEET_CONFIG_DIR", config.toString());
                pb.environment().put("PGFLEET_SERVER", "http://127.0.0.1:9");
                Process p = pb.start();
                p.getOutputStream().close();
                if (!p.waitFor(90, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            return file;
        }
    }

    private static List<String> java(Path archive, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m",
                "-XX:SharedArchiveFile=" + archive, "-XX:+AutoCreateSharedArchive", "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
                "-jar", JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * What a run left behind.
     *
     * @param exit its exit code
     * @param out  standard output
     * @param err  standard error
     */
    record Run(int exit, String out, String err) {
        JsonNode json() {
            return JSON.readTree(out);
        }

        Run expect(int code) {
            assertEquals(code, exit, "exit code; stdout:\n" + out + "\nstderr:\n" + err);
            assertNoStackTrace();
            return this;
        }

        void assertNoStackTrace() {
            assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace: " + err);
        }
    }

    private final Path configDir;
    private final Map<String, String> env = new LinkedHashMap<>();

    CliProcess(Path configDir, String server) {
        this.configDir = configDir;
        env.put("PGFLEET_SERVER", server);
    }

    Path configDir() {
        return configDir;
    }

    CliProcess env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Run run(String... args) {
        return runWithInput("", args);
    }

    Run runWithInput(String stdin, String... args) {
        try {
            return start(stdin, args).await();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A started CLI process. */
    final class Running {
        private final Process process;
        private final Path out;
        private final Path err;

        private Running(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        Run await() throws IOException {
            try {
                if (!process.waitFor(90, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("the CLI did not finish within 90 s: " + Files.readString(err));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        }

        String outputSoFar() throws IOException {
            return Files.readString(out);
        }

        String errorsSoFar() throws IOException {
            return Files.readString(err);
        }

        boolean alive() {
            return process.isAlive();
        }

        void kill() {
            process.destroyForcibly();
        }
    }

    Running start(String stdin, String... args) throws IOException {
        List<String> command = java(Archive.FILE, args);
        Files.createDirectories(configDir.getParent());
        Path out = Files.createTempFile(configDir.getParent(), "cli-out", ".txt");
        Path err = Files.createTempFile(configDir.getParent(), "cli-err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PGFLEET_") || k.equals("EDITOR") || k.equals("VISUAL"));
        pb.environment().put("PGFLEET_CONFIG_DIR", configDir.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        return new Running(p, out, err);
    }

    Run login() {
        return runWithInput(ServerSettings.TEST_ADMIN_PASSWORD + "\n", "login", "--username", "admin", "--password-stdin")
                .expect(ExitCodes.OK);
    }

    JsonNode session() throws IOException {
        return JSON.readTree(Files.readString(configDir.resolve("session.json")));
    }

    static PgfleetServer server(TestDatabase db, Path dataDir, Duration accessTokenTtl) {
        return PgfleetServer.start(settings(db, dataDir, accessTokenTtl));
    }

    /** The settings {@link #server} starts with; {@code withPort} of them starts one again where it was. */
    static ServerSettings settings(TestDatabase db, Path dataDir, Duration accessTokenTtl) {
        return ServerSettings.forDatabase(db.url(), db.user(), db.password(), dataDir)
                .withAccessTokenTtl(accessTokenTtl).withWarmupRounds(0);
    }

    static String url(PgfleetServer server) {
        return "http://127.0.0.1:" + server.port();
    }

    static Duration defaultTtl() {
        return Duration.ofMinutes(15);
    }
}
