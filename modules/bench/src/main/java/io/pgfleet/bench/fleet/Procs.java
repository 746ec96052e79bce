package io.pgfleet.bench.fleet;

import io.pgfleet.bench.Proc;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** What /proc and jcmd say about the processes of a run. */
final class Procs {

    private Procs() {
    }

    /** Resident set size in MiB. */
    static double rssMiB(long pid) throws IOException {
        return Proc.rssMiB(pid);
    }

    /** CPU seconds (user + system) used so far. */
    static double cpuSeconds(long pid) throws IOException {
        return Proc.cpuSeconds(pid);
    }

    /** This JVM's CPU seconds. */
    static double ownCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    /** Java heap in use, in MiB, as jcmd GC.heap_info reports it; -1 when it cannot tell. */
    static double heapUsedMiB(long pid) {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return io.pgfleet.bench.HeapInfo.usedMiB(out).orElse(-1);
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * The live heap in MiB: a full collection ({@code jcmd GC.run}, a full GC under SerialGC),
     * then the heap in use; -1 when it cannot tell.
     */
    static double liveHeapMiB(long pid) {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.run").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return -1;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        double used = heapUsedMiB(pid);
        return used > 0 ? used : -1;
    }

    /**
     * Proportional set size of the PostgreSQL whose data directory is given: its postmaster (the
     * first line of {@code postmaster.pid}) and every backend under it, shared buffers counted once
     * across them, in MiB; -1 when none runs. Found by the data directory, not as this JVM's
     * descendants: pg_ctl starts the postmaster detached, so it is nobody's child here.
     */
    static double postgresPssMiB(Path dataDir) {
        Optional<ProcessHandle> postmaster = postmasterPid(dataDir).flatMap(ProcessHandle::of);
        if (postmaster.isEmpty()) {
            return -1;
        }
        double kb = pssKiB(postmaster.get().pid())
                + postmaster.get().descendants().mapToDouble(h -> pssKiB(h.pid())).sum();
        return kb > 0 ? kb / 1024.0 : -1;
    }

    /** The postmaster's pid from a data directory's {@code postmaster.pid}, when it has one. */
    static Optional<Long> postmasterPid(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static double pssKiB(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                if (l.startsWith("Pss:")) {
                    return Long.parseLong(l.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }
}
