package io.pgfleet.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./pgfleet bench …} with a bad option: the benchmark runs as the launcher runs it (a JVM on
 * the class path through {@link Launch}) and answers one line and exit 2, never a stack trace; a
 * failure while it runs is not taken for a bad option.
 */
class LaunchTest {

    private record Ran(int exit, String err) {
    }

    private static Ran bench(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), Launch.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "the benchmark stops at once");
        return new Ran(p.exitValue(), err);
    }

    private static void refused(Ran ran, String says) {
        assertEquals(Launch.USAGE, ran.exit(), ran.err());
        assertEquals(1, ran.err().lines().count(), ran.err());
        assertTrue(ran.err().startsWith("pgfleet bench: " + says), ran.err());
        assertFalse(ran.err().contains("Exception") || ran.err().contains("\tat "), ran.err());
    }

    @Test
    void aBadOptionIsOneLineAndExitTwo() throws Exception {
        refused(bench(WatchBenchmark.class.getName(), "--watchers", "many"), "not a number: 'many'");
        refused(bench(WatchBenchmark.class.getName(), "--no-such-option"), "unknown option --no-such-option");
        refused(bench(io.pgfleet.bench.fleet.SampleReadBenchmark.class.getName(), "--days"), "--days needs a value");
        refused(bench(AgentFootprintBenchmark.class.getName(), "--intervals", "slow"), "--intervals fast|default");
    }

    @Test
    void aRequiredOptionOrAChoiceOutsideTheListIsOneLineAndExitTwo() throws Exception {
        refused(bench(LayersBenchmark.class.getName(), "--collectors", "10"), "--server-jar is required");
        refused(bench(io.pgfleet.bench.fleet.FleetBenchmark.class.getName(), "--server-jar", "x.jar", "--scenario", "nope"),
                "--scenario unknown scenario 'nope'");
    }

    @Test
    void aFailureWhileRunningIsNotMistakenForABadOption() throws Exception {
        Ran ran = bench(FailsWhileRunning.class.getName(), "--any");
        assertEquals(1, ran.exit(), ran.err());
        assertTrue(ran.err().contains("IllegalArgumentException: bad state"), ran.err());
        assertFalse(ran.err().contains("pgfleet bench:"), ran.err());
    }

    @Test
    void helpListsEveryOptionWithItsDefaultAndRunsNothing() throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), Launch.class.getName(),
                PublishBenchmark.class.getName(), "--help"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "the benchmark stops at once");
        assertEquals(0, p.exitValue(), out);
        for (String option : List.of("--server-jar", "--connections", "--client", "--server-opts")) {
            assertTrue(out.contains(option), option + " is listed: " + out);
        }
        assertTrue(out.contains("Default: 16"), "defaults are shown: " + out);
        assertFalse(out.contains("starting"), "nothing was started: " + out);
    }

    /** A benchmark that takes its options and then fails on an argument of its own making. */
    static final class FailsWhileRunning {
        public static void main(String[] args) {
            throw new IllegalArgumentException("bad state");
        }
    }
}
