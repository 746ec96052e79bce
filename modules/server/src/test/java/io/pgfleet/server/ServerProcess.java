package io.pgfleet.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The server jar started as a separate process, exactly as an operator starts it. */
final class ServerProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile("pgfleet server ready on http://[^:]+:(\\d+)");

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> output = new ArrayList<>();
    private final int port;
    private final Thread reader;

    private ServerProcess(Process process) throws InterruptedException {
        this.process = process;
        this.reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("<output closed: " + e + ">");
            }
        });
        reader.setName("server-output");
        this.port = awaitReady();
    }

    static ServerProcess start(Path dataDir, Map<String, String> env) throws IOException, InterruptedException {
        return new ServerProcess(command(dataDir, env).start());
    }

    /** A run of the jar that exited (a start that failed, or a command): its exit status and everything it wrote. */
    record Failed(int exit, String output) {
    }

    /**
     * Runs the jar until it exits by itself, for starts that must fail.
     *
     * @throws IllegalStateException when it is still running after two minutes (it was killed then)
     */
    static Failed runUntilExit(Path dataDir, Map<String, String> env) throws IOException, InterruptedException {
        return runCommand(dataDir, env, "");
    }

    /**
     * Runs the jar with arguments (one of its commands) until it exits: its exit status and
     * everything it wrote (output and errors).
     *
     * @param input what it reads on standard input (closed after it)
     * @throws IllegalStateException when it is still running after two minutes (it was killed then)
     */
    static Failed runCommand(Path dataDir, Map<String, String> env, String input, String... args)
            throws IOException, InterruptedException {
        Process p = command(dataDir, env, args).start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        // Read on another thread: a full pipe would block the process.
        java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IllegalStateException("the server is still running after 2 minutes");
        }
        try {
            return new Failed(p.exitValue(), output.get(30, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot read the server's output", e);
        }
    }

    private static ProcessBuilder command(Path dataDir, Map<String, String> env, String... args) {
        String jar = System.getProperty("pgfleet.server.jar", "target/pgfleet-server.jar");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("PGFLEET_DB_URL");
        pb.environment().put("PGFLEET_DATA_DIR", dataDir.toString());
        pb.environment().put("PGFLEET_PORT", "0");
        pb.environment().put("PGFLEET_HOST", "127.0.0.1");
        pb.environment().putAll(env);
        return pb;
    }

    /** Starts a server command other than the jar (an installed package's), output and errors merged. */
    static ServerProcess start(ProcessBuilder command) throws IOException, InterruptedException {
        return new ServerProcess(command.redirectErrorStream(true).start());
    }

    private int awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            if (line == null) {
                if (!process.isAlive()) {
                    break;
                }
                continue;
            }
            output.add(line);
            Matcher m = READY.matcher(line);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("the server did not become ready; its output:\n" + String.join("\n", output));
    }

    int port() {
        return port;
    }

    /** @return what it wrote up to and including its "ready" line */
    String startOutput() {
        return String.join("\n", output);
    }

    long pid() {
        return process.pid();
    }

    /** Kills the server with SIGKILL, as the OOM killer or a power cut would: it cleans nothing up. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the server did not die on SIGKILL");
        }
    }

    /**
     * Freezes the server with SIGSTOP, as a paused VM or a host lost without a reset looks to the
     * database: its connections stay open and nothing more comes through them.
     */
    void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** Lets a frozen server go on (SIGCONT). */
    void thaw() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        int exit = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException("kill " + signal + " " + process.pid() + " exited with " + exit);
        }
    }

    /** Stops a PostgreSQL a test left running on a data directory, so that no test leaks one. */
    static void stopPostgresLeftIn(Path pgData) {
        Path pidFile = pgData.resolve("postmaster.pid");
        try {
            if (!java.nio.file.Files.isRegularFile(pidFile)) {
                return;
            }
            long pid = Long.parseLong(java.nio.file.Files.readAllLines(pidFile).get(0).strip());
            java.util.Optional<ProcessHandle> p = ProcessHandle.of(pid);
            if (p.isPresent() && p.get().isAlive()
                    && p.get().info().command().map(c -> c.endsWith("/postgres")).orElse(false)) {
                new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start().waitFor();
                p.get().onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not stop the PostgreSQL left in " + pgData, e);
        }
    }

    /**
     * Stops the server as an operator would (SIGTERM) and waits for it to exit.
     *
     * @return its exit status and everything it wrote after its "ready" line
     */
    Failed stop() throws InterruptedException {
        // Through the handle: Process.destroy() also closes the output, whose last lines are wanted.
        process.toHandle().destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not stop within 60 s");
        }
        reader.join(TimeUnit.SECONDS.toMillis(30));
        List<String> after = new ArrayList<>();
        lines.drainTo(after);
        return new Failed(process.exitValue(), String.join("\n", after));
    }

    /** Stops the server as an operator would (SIGTERM) and waits for it to exit. */
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the server did not stop within 60 s");
            }
            for (ProcessHandle child : children) {
                child.onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("a child of the server did not stop: " + e, e);
        }
    }

    static void deleteTree(Path dir) {
        try (var paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
