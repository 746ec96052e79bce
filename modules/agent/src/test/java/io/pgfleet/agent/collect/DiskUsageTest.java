package io.pgfleet.agent.collect;

import io.pgfleet.agent.core.MetricSource.PartlyCollected;
import io.pgfleet.domain.fleet.Sample;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file system that does not answer (a hard NFS mount whose server is gone) must not stop the
 * agent: the host's collectors run on one lane, so a run that waited for it would stop the host's collection
 * for as long as it hangs. A hung mount cannot be made on a test machine without
 * privileges, so the file system is a probe that blocks until released, as {@code statfs} on such
 * a mount does in the kernel; the real probe is covered by MetricCollectorsTest on real directories.
 */
class DiskUsageTest {

    /** A probe answering every path at once, except "/mnt/nfs", which blocks until released. */
    private static final class Probes implements DiskUsage.Probe {
        final CountDownLatch released = new CountDownLatch(1);
        final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();

        @Override
        public DiskUsage.Usage usage(String path) throws IOException {
            asked.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            if (path.equals("/mnt/nfs")) {
                try {
                    released.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            return new DiskUsage.Usage(100, 40, 30);
        }

        int asked(String path) {
            return asked.getOrDefault(path, new AtomicInteger()).get();
        }
    }

    /** Runs a collection on a thread of its own, so a run that hangs fails the test rather than stopping it. */
    private static PartlyCollected partly(DiskUsage disk, List<String> paths) throws Exception {
        var executor = Executors.newSingleThreadExecutor();
        try {
            Future<PartlyCollected> run = executor.submit(() -> {
                try {
                    disk.collect(paths, Instant.EPOCH);
                    throw new AssertionError("the run did not say that a path did not answer");
                } catch (PartlyCollected p) {
                    return p;
                }
            });
            // Generous: without the bound the run never ends, whatever the wait.
            return run.get(60, TimeUnit.SECONDS);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aFileSystemThatDoesNotAnswerFailsTheRunButNotTheOtherPathsAndIsNotAskedAgainWhileItHangs() throws Exception {
        Probes probes = new Probes();
        DiskUsage disk = new DiskUsage(probes, Duration.ofMillis(200));
        List<String> paths = List.of("/", "/mnt/nfs", "/var/lib/postgresql");

        PartlyCollected first = partly(disk, paths);
        assertEquals(6, first.samples().size(), "the other paths are measured: " + first.samples());
        assertTrue(first.samples().stream().noneMatch(s -> s.labels().get("path").equals("/mnt/nfs")));
        assertTrue(first.getMessage().contains("/mnt/nfs did not answer within"), first.getMessage());
        assertTrue(first.getMessage().contains("(2 of 3 paths collected)"), first.getMessage());

        // Still hanging at the next run: not asked again (one waiting thread per path at most).
        PartlyCollected second = partly(disk, paths);
        assertEquals(6, second.samples().size());
        assertTrue(second.getMessage().contains("/mnt/nfs has not answered since"), second.getMessage());
        assertEquals(1, probes.asked("/mnt/nfs"));
        assertEquals(2, probes.asked("/"));

        // Once it answers, the next run asks it as usual and measures every path.
        probes.released.countDown();
        disk.pending("/mnt/nfs").orElseThrow().get(60, TimeUnit.SECONDS);
        List<Sample> samples = disk.collect(paths, Instant.EPOCH);
        assertEquals(9, samples.size());
        assertEquals(2, probes.asked("/mnt/nfs"));
    }

    @Test
    void aPathThatDoesNotExistIsNamedAndAskedAgainAtTheNextRun() throws Exception {
        DiskUsage.Probe missing = path -> {
            if (path.equals("/gone")) {
                throw new java.nio.file.NoSuchFileException(path);
            }
            return new DiskUsage.Usage(10, 5, 5);
        };
        DiskUsage disk = new DiskUsage(missing, Duration.ofSeconds(30));
        for (int run = 0; run < 2; run++) {
            PartlyCollected p = partly(disk, List.of("/", "/gone"));
            assertEquals(3, p.samples().size());
            assertTrue(p.getMessage().contains("/gone does not exist (1 of 2 paths collected)"), p.getMessage());
        }
    }

    @Test
    void aRunInterruptedWhileItWaitsCountsOnlyThePathsItMeasured() throws Exception {
        Probes probes = new Probes();
        DiskUsage disk = new DiskUsage(probes, Duration.ofSeconds(60));
        var executor = Executors.newSingleThreadExecutor();
        try {
            Future<PartlyCollected> run = executor.submit(() -> {
                try {
                    disk.collect(List.of("/mnt/nfs", "/"), Instant.EPOCH);
                    return null;
                } catch (PartlyCollected p) {
                    return p;
                }
            });
            // "/" is asked once the run began, and answers at once; the run still waits for "/mnt/nfs".
            while (disk.pending("/").isEmpty()) {
                Thread.sleep(10);
            }
            disk.pending("/").orElseThrow().get(60, TimeUnit.SECONDS);
            executor.shutdownNow();
            PartlyCollected p = run.get(60, TimeUnit.SECONDS);
            assertTrue(p.getMessage().contains("(0 of 2 paths collected)"), p.getMessage());
        } finally {
            probes.released.countDown();
            executor.shutdownNow();
        }
    }
}
