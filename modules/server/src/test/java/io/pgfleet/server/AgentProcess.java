package io.pgfleet.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The agent jar as a separate process, with its output readable line by line. */
final class AgentProcess implements AutoCloseable {

    private final Process process;
    private final Path stateDir;
    private final List<String> lines = new ArrayList<>();
    /** Whether every line the process wrote has been read (a process that ended may still have lines in the pipe). */
    private boolean outputEnded;

    private AgentProcess(Process process, Path stateDir) {
        this.stateDir = stateDir;
        this.process = process;
        Thread.ofPlatform().daemon().name("agent-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                        lines.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            } finally {
                synchronized (lines) {
                    outputEnded = true;
                    lines.notifyAll();
                }
            }
        });
    }

    /** Writes the agent's local file into {@code dir} and starts it. */
    static AgentProcess start(Path dir, int serverPort) throws IOException {
        return start(dir, serverPort, List.of(), List.of());
    }

    /** As {@link #start(Path, int)}, with more options for the agent's JVM. */
    static AgentProcess start(Path dir, int serverPort, List<String> jvmOptions) throws IOException {
        return start(dir, serverPort, List.of(), jvmOptions);
    }

    /**
     * As {@link #start(Path, int)}, behind a shell that ignores SIGHUP before it runs the agent, as
     * {@code nohup} does: the agent inherits SIGHUP ignored.
     */
    static AgentProcess startWithHangUpIgnored(Path dir, int serverPort) throws IOException {
        return start(dir, serverPort, List.of("sh", "-c", "trap '' HUP; exec \"$0\" \"$@\""), List.of());
    }

    /**
     * As {@link #start(Path, int)}, as another user, as the service runs under a user of its own (the
     * tests run as root): through {@code setpriv}, with the user's own group and no other. The jar is
     * copied into {@code dir}, which the user must be able to read, as must the directories above it.
     *
     * @param user a user of this host, e.g. {@code nobody}
     */
    static AgentProcess startAs(String user, Path dir, int serverPort) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path jar = dir.resolve("pgfleet-agent.jar");
        if (!Files.exists(jar)) {
            Files.copy(Path.of(System.getProperty("pgfleet.agent.jar", "../agent/target/pgfleet-agent.jar")), jar);
        }
        Process id = new ProcessBuilder("id", "-g", user).redirectErrorStream(true).start();
        String gid = new String(id.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        if (id.waitFor() != 0) {
            throw new IOException("no user " + user + ": " + gid);
        }
        return start(dir, serverPort, List.of("setpriv", "--reuid=" + user, "--regid=" + gid, "--clear-groups"),
                List.of(), jar.toString());
    }

    /**
     * Whether {@link #startAs} can run here: the tests run as root, and {@code setpriv} is installed.
     *
     * @return why not, empty when it can
     */
    static java.util.Optional<String> cannotStartAsAnotherUser() {
        try {
            if (((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue() != 0) {
                return java.util.Optional.of("the tests do not run as root");
            }
            Process p = new ProcessBuilder("setpriv", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 ? java.util.Optional.empty() : java.util.Optional.of("setpriv does not run");
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.of("setpriv or /proc is missing: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.of("interrupted");
        }
    }

    private static AgentProcess start(Path dir, int serverPort, List<String> wrapper, List<String> jvmOptions)
            throws IOException {
        return start(dir, serverPort, wrapper, jvmOptions,
                System.getProperty("pgfleet.agent.jar", "../agent/target/pgfleet-agent.jar"));
    }

    private static AgentProcess start(Path dir, int serverPort, List<String> wrapper, List<String> jvmOptions, String jar)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("registration-secret"), ServerSettings.TEST_REGISTRATION_SECRET);
        Path config = dir.resolve("agent.toml");
        if (!Files.exists(config)) {
            Files.writeString(config, """
                    server_url = "http://127.0.0.1:%d"
                    name = "e2e-agent"
                    labels = { env = "test" }
                    registration_secret_file = "registration-secret"
                    state_dir = "state"
                    """.formatted(serverPort));
        }
        List<String> command = new ArrayList<>(wrapper);
        // The client compiler only, as the packaged agent runs (deploy/pgfleet-agent.jvm.options):
        // the optimising one took a third more CPU in the agent's first seconds, beside the servers.
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar, "--config", config.toString()));
        return new AgentProcess(new ProcessBuilder(command).redirectErrorStream(true).start(), dir.resolve("state"));
    }

    /** The agent's state directory (identity, last-known-good), as {@link #start} writes it. */
    Path stateDir() {
        return stateDir;
    }

    /**
     * Starts an agent command other than the jar (an installed package's), output and errors merged.
     *
     * @param command  the command
     * @param stateDir the state directory its local file names
     */
    static AgentProcess start(ProcessBuilder command, Path stateDir) throws IOException {
        return new AgentProcess(command.redirectErrorStream(true).start(), stateDir);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /**
     * The exit status of an agent that ends by itself (a refusal at start, a stop of its own).
     *
     * @return the status, once it has ended (waited for up to 30 s)
     */
    int exitStatus() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the agent did not end; its output:\n" + output());
        }
        return process.exitValue();
    }

    /** Waits for a line matching the pattern after line {@code from}; returns its index. */
    int await(Pattern pattern, int from, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            int i = from;
            while (true) {
                for (; i < lines.size(); i++) {
                    if (pattern.matcher(lines.get(i)).find()) {
                        return i;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || outputEnded && i >= lines.size()) {
                    throw new AssertionError("agent never printed /" + pattern + "/; its output:\n" + String.join("\n", lines));
                }
                lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    int await(String regex, Duration timeout) throws InterruptedException {
        return await(Pattern.compile(regex), 0, timeout);
    }

    int lineCount() {
        synchronized (lines) {
            return lines.size();
        }
    }

    long count(String regex) {
        Pattern p = Pattern.compile(regex);
        synchronized (lines) {
            return lines.stream().filter(l -> p.matcher(l).find()).count();
        }
    }

    String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    void hangUp() throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor();
    }

    /** Sends SIGTERM, as systemd does, and returns at once. */
    void terminate() {
        process.toHandle().destroy();
    }

    @Override
    public void close() throws InterruptedException {
        // SIGTERM as systemd sends it, through the process handle: Process.destroy() would also close
        // the pipe of its output, losing what the agent says while it stops.
        process.toHandle().destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
