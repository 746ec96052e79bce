package io.pgfleet.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo the README starts: hot reload shown in plain words, and Ctrl-C leaves nothing behind. */
class DemoIT {

    @Test
    void showsTheHotReloadAndStopsCleanlyOnCtrlC(@TempDir Path dir) throws Exception {
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("pgfleet.server.jar") + File.pathSeparator + System.getProperty("pgfleet.demo.classes"),
                "io.pgfleet.demo.Demo",
                "--agent-jar", System.getProperty("pgfleet.agent.jar"), "--data-dir", dir.toString(), "--port", "0")
                .redirectErrorStream(true).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        List<String> all = new ArrayList<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (Exception ignored) {
                // ended
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean shown = false;
        while (!shown && System.nanoTime() < deadline) {
            String l = lines.poll(1, TimeUnit.SECONDS);
            if (l != null) {
                all.add(l);
                shown = l.contains("now collects pg_stats every ~2 s");
            }
        }
        String text = String.join("\n", all);
        assertTrue(shown, "the demo never showed the reload:\n" + text);
        assertTrue(text.contains("applied configuration version 2 without a restart: pg_stats now every 2 s"), text);
        assertTrue(text.matches("(?s).*applied configuration version 3 without a restart: .*pg_locks started.*"),
                "the group change reached the agent:\n" + text);
        assertTrue(text.contains("from group/demo-hosts@1, collector@2"), text);
        // The story is not buried: no request log line, no migration, no line of PostgreSQL's start.
        assertFalse(text.contains("/api/v1/metrics/push"), "request log lines in the demo's output:\n" + text);
        assertFalse(text.contains("Migrating schema"), "migration lines in the demo's output:\n" + text);
        // Samples 2 s apart (not the 10 s of version 1): the agent's timer, give or take its scheduling.
        java.util.regex.Matcher gap = java.util.regex.Pattern.compile("\\((\\d+\\.\\d+) s after the previous one\\)").matcher(text);
        boolean everyTwoSeconds = false;
        while (gap.find()) {
            double seconds = Double.parseDouble(gap.group(1));
            everyTwoSeconds |= seconds > 1.5 && seconds < 3.0;
        }
        assertTrue(everyTwoSeconds, "samples about 2 s apart after version 2:\n" + text);

        List<ProcessHandle> children = demo.descendants().toList();
        assertFalse(children.isEmpty(), "the agent and PostgreSQL run as child processes");
        new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor();
        assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "the demo stops on Ctrl-C");
        for (ProcessHandle child : children) {
            child.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(child.isAlive(), "left behind: " + child.info().commandLine().orElse("" + child.pid()));
        }
        String rest;
        StringBuilder sb = new StringBuilder();
        while ((rest = lines.poll(2, TimeUnit.SECONDS)) != null) {
            sb.append(rest).append('\n');
        }
        assertTrue(sb.toString().contains("Stopped the agent, the server and its PostgreSQL"), sb.toString());
    }
}
