package io.pgfleet.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** Processes under test and what /proc and jcmd say about them. */
public final class Proc {

    private Proc() {
    }

    static Process start(List<String> command, Map<String, String> env, Pattern ready, String name) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String line;
        java.util.ArrayDeque<String> last = new java.util.ArrayDeque<>();
        while ((line = r.readLine()) != null) {
            last.addLast(line);
            if (last.size() > 20) {
                last.removeFirst();
            }
            if (ready.matcher(line).find()) {
                Thread.ofPlatform().daemon().start(() -> drain(r, System.out));
                return p;
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException(name + " did not start; its last lines:\n" + String.join("\n", last));
    }

    /**
     * Lines echoed to the output: the server's account of where a layer change's time went
     * (LayersBenchmark), and the end of its warm-up at start (whether it overlapped the measurements).
     */
    private static final List<String> ECHOED = List.of("layer change: ", "io.pgfleet.server.warmup: ");

    /** The most of one unfinished line kept between reads: nothing the drain holds is unbounded. */
    private static final int MAX_CARRIED = 1 << 20;

    /**
     * Reads the process's output until it ends, echoing the lines that carry {@link #ECHOED}. It reads
     * blocks, not lines: a server under load prints a request-log line per request, and a string per
     * line here took a share of the same two CPUs the server under test runs on (≈ 7 µs per read at
     * 32 connections, benchmarks.md).
     */
    static void drain(Reader r, PrintStream echo) {
        char[] buffer = new char[1 << 16];
        String carried = "";
        try {
            int n;
            while ((n = r.read(buffer)) >= 0) {
                String block = carried + new String(buffer, 0, n);
                int end = block.lastIndexOf('\n') + 1;
                carried = block.length() - end > MAX_CARRIED ? "" : block.substring(end);
                for (int at = next(block, 0); at >= 0 && at < end; at = next(block, at + 1)) {
                    int from = block.lastIndexOf('\n', at) + 1;
                    int to = block.indexOf('\n', at);
                    echo.println(block.substring(from, to));
                    at = to;
                }
            }
        } catch (IOException ignored) {
            // gone
        }
    }

    /** Where the first echoed marker at or after {@code from} is, or -1. */
    private static int next(String block, int from) {
        int first = -1;
        for (String marker : ECHOED) {
            int at = block.indexOf(marker, from);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** Resident set size in MiB. */
    public static double rssMiB(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return -1;
    }

    /** CPU seconds (user + system) used so far. */
    public static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /** Java heap in use, in MiB, as jcmd GC.heap_info reports it (any collector); -1 when it cannot tell. */
    static double heapUsedMiB(long pid) {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return HeapInfo.usedMiB(out).orElse(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    /** Java heap in use right after a full collection (what is live), in MiB. */
    static double liveHeapMiB(long pid) {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.run").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            return -1;
        }
        return heapUsedMiB(pid);
    }
}
