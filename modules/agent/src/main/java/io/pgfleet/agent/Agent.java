package io.pgfleet.agent;

import io.pgfleet.toml.TomlDocumentParser;
import io.pgfleet.agent.collect.MetricCollectors;
import io.pgfleet.agent.core.AgentCore;
import io.pgfleet.agent.core.SelfMetrics;
import io.pgfleet.agent.metrics.LocalMetrics;
import io.pgfleet.agent.transport.ServerClient;

import java.io.PrintStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The running agent: the {@link AgentCore} wired to its adapters (Helidon WebClient for the server,
 * JDBC and {@code /proc} collectors, the state directory and the host's files), on real time.
 */
public final class Agent implements AutoCloseable {

    private final PrintStream out;
    private final ThreadScheduler scheduler = new ThreadScheduler();
    private final AgentCore core;
    private final AgentState state;
    /** Why the agent must stop by itself, once it must: another agent took its state directory. */
    private final java.util.concurrent.CompletableFuture<String> mustStop = new java.util.concurrent.CompletableFuture<>();
    /** The next look at whether the identity is still on disk. */
    private volatile io.pgfleet.agent.core.Scheduler.Task identityCheck = () -> { };
    /**
     * The local metrics endpoint when {@code [metrics] enabled = true}. Typed by what the agent needs
     * of it, so that with the endpoint off none of its classes (nor Micrometer's) is loaded.
     */
    private final Optional<AutoCloseable> metrics;
    private final Optional<Integer> metricsPort;

    /**
     * An agent.
     *
     * @param settings its local file
     * @param out      where it says what it does
     */
    public Agent(LocalSettings settings, PrintStream out) {
        this.out = out;
        AgentState state = new AgentState(settings.stateDir(), this::log);
        this.state = state;
        // Before anything is read or written there: files it may not read (a run as root by hand
        // left them root's) stop the agent here, and so does a second agent on the directory.
        state.requireReadable();
        state.hold(this::lostStateDirectory);
        try {
            state.tightenIdentity().ifPresent(this::log);
            Optional<AgentState.Identity> identity = state.identity();
            if (identity.isEmpty() && state.unwritable().isPresent()) {
                // An identity it cannot keep would make this host a new collector at every start (and
                // leave the last one without an agent): that cannot work, unlike a registered agent,
                // which runs on without the directory (below).
                throw new IllegalStateException("the state directory " + settings.stateDir() + " cannot be written ("
                        + state.unwritable().get() + "), and this agent is not registered yet: it could not keep the"
                        + " identity it registers, and would register this host as a new collector at every start. Make the"
                        + " directory writable by the agent's user (chattr -i, chown, a read-write mount), or set state_dir"
                        + " in the agent's local file to one it can write");
            }
            state.warning().ifPresent(this::log);
            ServerClient client = new ServerClient(settings.serverUrl(), settings.caFile(), settings.certFile(),
                    settings.keyFile(), identity.map(AgentState.Identity::collectorId).orElse(""),
                    identity.map(AgentState.Identity::refreshToken).orElse(""),
                    (id, refresh) -> state.saveIdentity(new AgentState.Identity(id, refresh)), state, this::log);
            HostEnvironment host = new HostEnvironment(settings);
            TomlDocumentParser parser = new TomlDocumentParser();
            // Started first: a port that is taken stops the agent before it registers or collects anything.
            SelfMetrics self = SelfMetrics.NONE;
            Optional<AutoCloseable> endpoint = Optional.empty();
            Optional<Integer> port = Optional.empty();
            Consumer<AgentCore> bind = c -> { };
            if (settings.metrics().enabled()) {
                LocalMetrics m = LocalMetrics.start(settings.metrics());
                self = m;
                endpoint = Optional.of(m);
                port = Optional.of(m.port());
                bind = m::bind;
            }
            this.metrics = endpoint;
            this.metricsPort = port;
            this.core = new AgentCore(
                    new AgentCore.Settings(settings.name(), LocalSettings.hostname(), settings.labels(),
                            settings.allowLists(), settings.bufferSamples()),
                    new AgentCore.Ports(client, client, client, client, host, new MetricCollectors(), host, state,
                            parser::parse, scheduler, RandomGenerator.getDefault(), this::log, self, state));
            bind.accept(core);
        } catch (RuntimeException | Error e) {
            // An agent that does not start lets the next one have the directory.
            state.release();
            throw e;
        }
        log("pid " + ProcessHandle.current().pid() + ", server " + settings.serverUrl()
                + metricsPort.map(p -> ", metrics at http://" + hostForUrl(settings.metrics().host()) + ":" + p + "/metrics")
                        .orElse(""));
    }

    /** Starts pulling, collecting and pushing; returns at once. */
    public void start() {
        core.start();
        checkIdentity();
    }

    /** How often the agent looks whether its identity is still on disk (a stat). */
    static final java.time.Duration IDENTITY_CHECK_EVERY = java.time.Duration.ofSeconds(60);

    /**
     * Puts the identity back when the state directory or its file disappeared (see
     * {@link AgentState#keepIdentity}): a crash before the next state write would otherwise restart
     * the agent as a new collector.
     */
    private void checkIdentity() {
        identityCheck = scheduler.schedule(io.pgfleet.agent.core.Scheduler.Lane.PUSH, IDENTITY_CHECK_EVERY, () -> {
            try {
                state.keepIdentity(false);
            } finally {
                checkIdentity();
            }
        });
    }

    /**
     * Another agent started on the state directory made again while this one ran, and holds it:
     * this one stops (two agents there would share one refresh token), and writes nothing more there.
     */
    private void lostStateDirectory(String why) {
        log(why);
        mustStop.complete(why);
    }

    /**
     * Waits until the agent must stop by itself: another agent took its state directory while it
     * ran. Until then, for as long as the agent runs.
     *
     * @return why it must stop
     * @throws InterruptedException when interrupted while waiting
     */
    public String awaitOwnStop() throws InterruptedException {
        try {
            return mustStop.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Asks for the configuration now (SIGHUP), ending a watch in progress; see {@link AgentCore#pullNow()}. */
    public void pullNow() {
        core.pullNow();
    }

    /**
     * The version running now.
     *
     * @return 0 before the first apply
     */
    public int appliedVersion() {
        return core.appliedVersion();
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /**
     * The port of the local metrics endpoint.
     *
     * @return the port, empty when the endpoint is off
     */
    public Optional<Integer> metricsPort() {
        return metricsPort;
    }

    /**
     * Says something in the agent's log (its standard output), stamped like every other line.
     *
     * @param message the line
     */
    void log(String message) {
        out.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " pgfleet-agent: " + message);
        out.flush();
    }

    /** Stops pulling, collecting and pushing; tries one last push. */
    @Override
    public void close() {
        // Said first: a push in progress is waited for (up to its answer deadline), and the log shows
        // what the agent is doing meanwhile.
        log("stopping: finishing the push in progress and one last push; what is still undelivered is kept on disk");
        identityCheck.cancel();
        core.stop();
        // After the last spool write: an agent that stops with its identity not on disk writes it, or says plainly
        // what the restart will do.
        state.keepIdentity(true);
        scheduler.close();
        // Last: nothing is written into the directory after this.
        state.release();
        for (AutoCloseable m : metrics.stream().toList()) {
            try {
                m.close();
            } catch (Exception e) {
                log("stopping the metrics endpoint: " + e);
            }
        }
        log("stopped");
    }
}
