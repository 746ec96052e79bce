package io.pgfleet.agent.collect;

import io.pgfleet.agent.core.MetricSource.PartlyCollected;
import io.pgfleet.domain.fleet.Sample;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code disk_usage} collector: the size, free and used bytes of each configured path's file
 * system. Each path is asked on a thread of its own and waited for at most {@link #WAIT} in all: a
 * file system that does not answer (a network file system whose server is gone, a hard NFS mount)
 * blocks its thread in the kernel, possibly for ever, and the host's collectors ({@code sysstat} too)
 * run on one lane, so waiting for it would stop the host's collection. Such a path fails the run,
 * naming it; the other paths are measured. While its thread still waits, the path is not asked
 * again (one thread per path at most); once it answers, the next run asks it as usual.
 */
final class DiskUsage {

    /** The longest a run waits for the file systems of its paths, together. */
    static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * What a path's file system says.
     *
     * @param total       its size
     * @param usable      what this process may still use
     * @param unallocated what no file uses
     */
    record Usage(long total, long usable, long unallocated) {
    }

    /** Asks a path's file system; may block for as long as the file system does not answer. */
    @FunctionalInterface
    interface Probe {
        /**
         * Asks.
         *
         * @param path the path
         * @return its file system's figures
         * @throws IOException when the path does not exist or cannot be read
         */
        Usage usage(String path) throws IOException;
    }

    /** A path asked and not answered yet, and since when. */
    private record Asked(CompletableFuture<Usage> answer, Instant since) {
    }

    private final Probe probe;
    private final Duration wait;
    private final Map<String, Asked> asked = new ConcurrentHashMap<>();

    DiskUsage() {
        this(DiskUsage::fileStore, WAIT);
    }

    DiskUsage(Probe probe, Duration wait) {
        this.probe = Objects.requireNonNull(probe, "probe");
        this.wait = Objects.requireNonNull(wait, "wait");
    }

    /**
     * The answer of a path's last question that no run has taken yet (given or still to come):
     * what a test waits for instead of a time.
     *
     * @param path the path
     * @return its answer, given or not
     */
    java.util.Optional<CompletableFuture<Usage>> pending(String path) {
        return java.util.Optional.ofNullable(asked.get(path)).map(Asked::answer);
    }

    private static Usage fileStore(String path) throws IOException {
        FileStore fs = Files.getFileStore(Path.of(path));
        return new Usage(fs.getTotalSpace(), fs.getUsableSpace(), fs.getUnallocatedSpace());
    }

    /**
     * Measures the paths.
     *
     * @param paths the configured paths
     * @param now   the samples' time
     * @return three samples per path
     * @throws PartlyCollected when a path does not exist, cannot be read or does not answer: with
     *                         the samples of the others
     */
    List<Sample> collect(List<String> paths, Instant now) throws PartlyCollected {
        Map<String, Asked> thisRun = new LinkedHashMap<>();
        List<String> failed = new ArrayList<>();
        for (String path : paths) {
            Asked earlier = asked.get(path);
            if (earlier != null && !earlier.answer().isDone()) {
                failed.add(path + " has not answered since " + earlier.since()
                        + " (a network file system that is away?); not asked again until it does");
                continue;
            }
            Asked a = new Asked(new CompletableFuture<>(), now);
            asked.put(path, a);
            Thread.ofPlatform().daemon().name("pgfleet-disk-usage").start(() -> {
                try {
                    a.answer().complete(probe.usage(path));
                } catch (Throwable t) {
                    a.answer().completeExceptionally(t);
                }
            });
            thisRun.put(path, a);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        List<Sample> out = new ArrayList<>();
        for (Map.Entry<String, Asked> e : thisRun.entrySet()) {
            String path = e.getKey();
            try {
                Usage u = e.getValue().answer().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                asked.remove(path, e.getValue());
                Map<String, String> l = Map.of("path", MetricCollectors.labelValue(path, Sample.MAX_LABEL_VALUE));
                out.add(new Sample("node_filesystem_size_bytes", l, u.total(), now));
                out.add(new Sample("node_filesystem_free_bytes", l, u.usable(), now));
                out.add(new Sample("node_filesystem_used_bytes", l, u.total() - u.unallocated(), now));
            } catch (TimeoutException t) {
                failed.add(path + " did not answer within " + wait.toSeconds()
                        + " s (a network file system that is away?); not asked again until it does");
            } catch (ExecutionException x) {
                asked.remove(path, e.getValue());
                Throwable cause = x.getCause();
                failed.add(path + (cause instanceof java.nio.file.NoSuchFileException ? " does not exist" : ": " + cause));
            } catch (InterruptedException i) {
                Thread.currentThread().interrupt();
                failed.add(path + ": interrupted");
                break;
            }
        }
        // A path no longer configured is not remembered once its thread is done.
        asked.entrySet().removeIf(e -> !paths.contains(e.getKey()) && e.getValue().answer().isDone());
        if (!failed.isEmpty()) {
            throw new PartlyCollected(out, "collectors.disk_usage.paths: " + String.join("; ", failed)
                    // Counted from what was measured: a run interrupted while it waits names only the
                    // path it waited for, and the paths after it were not collected either.
                    + " (" + out.size() / 3 + " of " + paths.size() + " paths collected)");
        }
        return out;
    }
}
