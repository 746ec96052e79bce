package io.pgfleet.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher at the repository root ({@code ./pgfleet}) hands every operator command of the CLI
 * to the CLI jar, as the README and docs/cli.md show them ({@code ./pgfleet fleet put …},
 * {@code ./pgfleet groups create …}, {@code ./pgfleet rollouts start …}). It runs here from a copy
 * of the repository's layout whose jars are up to date, so it never builds anything.
 */
class CliLauncherIT {

    private static final Path LAUNCHER = Path.of("").toAbsolutePath().resolve("../../pgfleet").normalize();
    private static final Path CLI_JAR = Path.of(System.getProperty("pgfleet.cli.jar", "target/pgfleet-cli.jar"))
            .toAbsolutePath();

    @TempDir
    static Path root;

    @BeforeAll
    static void layout() throws IOException {
        assertTrue(Files.isRegularFile(LAUNCHER), "the launcher at " + LAUNCHER);
        assertTrue(Files.isRegularFile(CLI_JAR), "the CLI jar at " + CLI_JAR);
        Path launcher = Files.copy(LAUNCHER, root.resolve("pgfleet"));
        assertTrue(launcher.toFile().setExecutable(true));
        // The jars the launcher checks before running anything, newer than every (absent) source.
        Instant built = Instant.now();
        for (String jar : List.of("server/target/pgfleet-server.jar", "agent/target/pgfleet-agent.jar",
                "demo/target/pgfleet-demo.jar")) {
            Path p = root.resolve("modules").resolve(jar);
            Files.createDirectories(p.getParent());
            Files.createFile(p);
            Files.setLastModifiedTime(p, FileTime.from(built));
        }
        Path cli = root.resolve("modules/cli/target/pgfleet-cli.jar");
        Files.createDirectories(cli.getParent());
        Files.copy(CLI_JAR, cli);
        Files.setLastModifiedTime(cli, FileTime.from(built));
    }

    /** Every top-level command of the CLI, as picocli knows it. */
    private static Set<String> operatorCommands() {
        Context ctx = new Context(Map.of(), new ByteArrayInputStream(new byte[0]),
                new java.io.PrintWriter(OutputStream.nullOutputStream()),
                new java.io.PrintWriter(OutputStream.nullOutputStream()));
        Set<String> names = new TreeSet<>(PgfleetCli.commandLine(ctx, false).getSubcommands().keySet());
        names.removeAll(Set.of("help", "generate-completion"));
        return names;
    }

    private record Ran(int exit, String out, String err) {
    }

    private static Ran launch(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sh", root.resolve("pgfleet").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(root, "out", ".txt");
        Path err = Files.createTempFile(root, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PGFLEET_"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("PGFLEET_CONFIG_DIR", root.resolve("session").toString());
        pb.environment().put("PGFLEET_CLI_JAVA_OPTS", "-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the launcher did not finish within 90 s: " + Files.readString(err));
        }
        return new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void everyOperatorCommandReachesTheCli() throws Exception {
        Set<String> commands = operatorCommands();
        assertTrue(commands.containsAll(Set.of("config", "fleet", "groups", "rollouts", "collectors")), commands.toString());
        for (String name : commands) {
            Ran ran = launch(name, "--help");
            assertEquals(0, ran.exit(), "./pgfleet " + name + " --help\nstdout:\n" + ran.out() + "\nstderr:\n" + ran.err());
            assertTrue(ran.out().startsWith("Usage: pgfleet " + name), "./pgfleet " + name + " --help: " + ran.out());
        }
    }

    /**
     * A build leaves a jar whose module did not change as it was (Maven does not rewrite it), so the
     * jars' own times cannot say whether a later change was built: after one build for a changed
     * source, the next command runs without building again. The build here is a stand-in for the
     * wrapper that only counts its runs and changes no jar, as a build of an unchanged module does.
     */
    @Test
    void aChangedSourceIsBuiltOnceNotAtEveryCommand() throws Exception {
        Path builds = root.resolve("builds.txt");
        Path mvnw = root.resolve("mvnw");
        Files.writeString(mvnw, "#!/bin/sh\necho \"$*\" >> '" + builds + "'\n");
        assertTrue(mvnw.toFile().setExecutable(true));
        Path source = root.resolve("modules/server/src/main/java/io/pgfleet/server/Changed.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class Changed {}\n");
        // Jars built an hour ago, a source changed since.
        Instant now = Instant.now();
        try (var jars = Files.find(root.resolve("modules"), 3, (p, a) -> p.toString().endsWith(".jar"))) {
            for (Path jar : jars.toList()) {
                Files.setLastModifiedTime(jar, FileTime.from(now.minusSeconds(3600)));
            }
        }
        Files.setLastModifiedTime(source, FileTime.from(now.minusSeconds(1800)));
        try {
            for (int i = 0; i < 2; i++) {
                Ran ran = launch("whoami", "--help");
                assertEquals(0, ran.exit(), ran.err());
            }
            assertEquals(1, Files.readAllLines(builds).size(), "builds: " + Files.readAllLines(builds));
        } finally {
            Files.delete(source);
            Files.delete(mvnw);
        }
    }

    @Test
    void aMistypedCommandIsNamedAndNothingRuns() throws Exception {
        Ran ran = launch("fleeet", "get");
        assertEquals(1, ran.exit(), ran.err());
        assertTrue(ran.err().contains("unknown command 'fleeet'"), ran.err());
    }
}
