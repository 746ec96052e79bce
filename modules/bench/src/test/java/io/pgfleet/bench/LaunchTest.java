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
 * the class path through {@link Launch}) and answers one line and exit 2, never a stack trace.
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
    void aFailureWhileRunningIsNotMistakenForABadOption() {
        IllegalArgumentException deep = new IllegalArgumentException("bad state");
        deep.setStackTrace(new StackTraceElement[] {
                new StackTraceElement("io.pgfleet.bench.NioWatchers", "open", "NioWatchers.java", 1),
                new StackTraceElement(WatchBenchmark.class.getName(), "main", "WatchBenchmark.java", 1)});
        assertTrue(Launch.badOption(deep, WatchBenchmark.class.getName(), new String[0]).isEmpty());
        assertTrue(Launch.badOption(new IllegalStateException("x"), WatchBenchmark.class.getName(), new String[0]).isEmpty());
    }
}
