package io.pgfleet.bench.fleet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * K server instances: the shipped server jar, each a process of its own on a fixed loopback port
 * (so that a restarted instance is found where its agents left it), all on one PostgreSQL. Reads
 * every instance's request log (JSON lines) to count answers by status, and keeps each 5xx with
 * the time it was seen.
 */
final class ServerTier implements AutoCloseable {

    /**
     * How long a start may take before the run gives up. A start takes about a second on a quiet
     * machine, but niced on 2 cores shared at load average 40-50 the JVM alone took minutes to
     * load its classes (3-4 min seen), and a restart that missed 5 minutes ended a 20-minute run
     * without a report.
     */
    static final java.time.Duration READY_TIMEOUT = java.time.Duration.ofMinutes(15);
    private static final Pattern STATUS = Pattern.compile("\"status\":(\\d{3})");
    private static final Pattern ROUTE = Pattern.compile("\"route\":\"([^\"]*)\"");
    private static final Pattern METHOD = Pattern.compile("\"method\":\"([^\"]*)\"");

    /** A 5xx answer, when the bench saw its log line. */
    record ServerError(long atMillis, int instance, int status, String request) {
    }

    private final Path jar;
    private final Path dir;
    private final Map<String, String> env;
    private final String heap;
    private final int[] ports;
    private final Process[] processes;
    private final int[] generation;
    private final Map<Integer, AtomicLong> byStatus = new ConcurrentHashMap<>();
    private final List<ServerError> errors = new CopyOnWriteArrayList<>();
    private final Path logDir;

    ServerTier(Path jar, Path dir, Path logDir, int instances, Map<String, String> env, String heap) throws IOException {
        this.jar = jar;
        this.dir = dir;
        this.env = Map.copyOf(env);
        this.heap = heap;
        this.ports = new int[instances];
        this.processes = new Process[instances];
        this.generation = new int[instances];
        this.logDir = Files.createDirectories(logDir);
        // An interrupted run (Ctrl-C, a test's timeout) leaves no server behind.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : processes) {
                if (p != null) {
                    p.destroyForcibly();
                }
            }
        }));
        for (int i = 0; i < instances; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports[i] = s.getLocalPort();
            }
        }
    }

    int size() {
        return ports.length;
    }

    URI uri(int instance) {
        return URI.create("http://127.0.0.1:" + ports[instance]);
    }

    /** Starts every instance at once; each has finished its migrations and listens when this returns. */
    void startAll() throws Exception {
        try (var starting = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> f = new ArrayList<>();
            for (int i = 0; i < ports.length; i++) {
                int instance = i;
                f.add(starting.submit(() -> {
                    start(instance);
                    return null;
                }));
            }
            for (var x : f) {
                x.get();
            }
        }
    }

    /** Starts one instance and waits until it says it is ready. */
    void start(int i) throws Exception {
        Map<String, String> e = new HashMap<>(env);
        e.put("PGFLEET_PORT", Integer.toString(ports[i]));
        e.put("PGFLEET_HOST", "127.0.0.1");
        e.put("PGFLEET_DATA_DIR", dir.resolve("server-" + i).toString());
        e.put("PGFLEET_LOG_FORMAT", "json");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-XX:+UseSerialGC", "-jar", jar.toString()).redirectErrorStream(true);
        pb.environment().putAll(e);
        Process p = pb.start();
        processes[i] = p;
        int gen = ++generation[i];
        Path log = logDir.resolve("server-" + i + "-" + gen + ".log");
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        Thread.ofPlatform().daemon().name("server-" + i + "-log").start(() -> read(i, p, log, ready));
        if (!ready.await(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("server instance " + i + " did not start; see " + log);
        }
    }

    private void read(int instance, Process p, Path log, java.util.concurrent.CountDownLatch ready) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             var out = Files.newBufferedWriter(log)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.contains("pgfleet server ready")) {
                    ready.countDown();
                }
                Matcher m = STATUS.matcher(line);
                if (line.contains("\"event\":\"request\"") && m.find()) {
                    int status = Integer.parseInt(m.group(1));
                    byStatus.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
                    if (status >= 500) {
                        errors.add(new ServerError(System.currentTimeMillis(), instance, status,
                                group(METHOD, line) + " " + group(ROUTE, line)));
                        out.write(line);
                        out.newLine();
                    }
                } else {
                    out.write(line);
                    out.newLine();
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    private static String group(Pattern p, String line) {
        Matcher m = p.matcher(line);
        return m.find() ? m.group(1) : "?";
    }

    /** kill -9 of one instance. */
    void kill(int i) throws InterruptedException {
        Process p = processes[i];
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    boolean alive(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    Optional<Long> pid(int i) {
        return alive(i) ? Optional.of(processes[i].pid()) : Optional.empty();
    }

    /** Each instance's {@code -Xmx}, as given. */
    String heap() {
        return heap;
    }

    /** Which start of the instance is running (1 for the first). */
    int generation(int i) {
        return generation[i];
    }

    /** Answers seen by status code, all instances together. */
    Map<Integer, Long> answersByStatus() {
        Map<Integer, Long> m = new java.util.TreeMap<>();
        byStatus.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    List<ServerError> errors() {
        return new ArrayList<>(errors);
    }

    Path logDir() {
        return logDir;
    }

    @Override
    public void close() {
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                p.destroy();
            }
        }
        for (Process p : processes) {
            try {
                if (p != null && !p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

}
