package io.pgfleet.agent;

import io.pgfleet.adapter.out.toml.TomlDocumentParser;
import io.pgfleet.agent.collect.CollectionScheduler;
import io.pgfleet.agent.collect.MetricCollectors;
import io.pgfleet.agent.collect.MonitoredDatabase;
import io.pgfleet.agent.collect.SampleBuffer;
import io.pgfleet.agent.transport.ServerClient;
import io.pgfleet.agent.transport.TransportException;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.reload.ApplyDecision;
import io.pgfleet.domain.reload.ApplyPolicy;
import io.pgfleet.domain.reload.ConfigChange;
import io.pgfleet.domain.reload.PullPolicy;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.EffectiveConfig;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.domain.schema.ValidationError;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * The running agent: pulls (or watches) its configuration, applies it by the domain's hot-reload
 * policy without restarting, reports every attempt, and pushes the samples its collectors produce.
 */
public final class Agent implements AutoCloseable {

    /** How long the server is asked to hold a watch. */
    static final int WATCH_SECONDS = 25;
    private static final int BATCH = 5000;

    private final LocalSettings settings;
    private final PrintStream out;
    private final AgentState state;
    private final ServerClient client;
    private final SampleBuffer buffer;
    private final MonitoredDatabase database = new MonitoredDatabase();
    private final CollectionScheduler scheduler;
    private final TomlDocumentParser parser = new TomlDocumentParser();
    private final RandomGenerator random = RandomGenerator.getDefault();
    private final LinkedBlockingQueue<String> wakeups = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService pushTimer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("pusher").factory());

    private volatile boolean running = true;
    private volatile EffectiveConfig current = EffectiveConfig.defaults();
    /** Whether some configuration (even the defaults) is running. */
    private volatile boolean collecting;
    private volatile int appliedVersion;
    private volatile int failedVersion;
    private volatile String etag = "";
    private volatile Thread pullThread;
    private ScheduledFuture<?> pushTask;
    private Duration pushEvery;
    private String pendingBatchId;
    private List<Sample> pendingBatch = List.of();
    private Optional<String[]> pendingReport = Optional.empty();
    private int pushFailures;
    private Instant nextPushAllowed = Instant.EPOCH;

    /**
     * An agent.
     *
     * @param settings its local file
     * @param out      where it says what it does
     */
    public Agent(LocalSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
        this.state = new AgentState(settings.stateDir());
        Optional<AgentState.Identity> identity = state.identity();
        this.client = new ServerClient(settings.serverUrl(), settings.caFile(), settings.certFile(), settings.keyFile(),
                identity.map(AgentState.Identity::collectorId).orElse(""),
                identity.map(AgentState.Identity::refreshToken).orElse(""),
                (id, refresh) -> state.saveIdentity(new AgentState.Identity(id, refresh)));
        this.buffer = new SampleBuffer(settings.bufferSamples());
        this.scheduler = new CollectionScheduler(new MetricCollectors(database), buffer, this::log);
    }

    /** Starts pulling, collecting and pushing; returns at once. */
    public void start() {
        log("starting (pid " + ProcessHandle.current().pid() + "), server " + settings.serverUrl()
                + (client.collectorId().isEmpty() ? ", not registered yet" : ", collector " + client.collectorId()));
        reschedulePush(current.pushInterval());
        pullThread = Thread.ofPlatform().name("config-pull").start(this::pullLoop);
    }

    /** Asks for the configuration now (SIGHUP). */
    public void pullNow() {
        log("SIGHUP: pulling the configuration now");
        wakeups.offer("hup");
    }

    private void pullLoop() {
        int failures = 0;
        boolean first = true;
        while (running) {
            Duration pause;
            try {
                ensureRegistered();
                boolean watch = current.watch() && appliedVersion > 0 && !first;
                Instant asked = Instant.now();
                ServerClient.Fetch fetch = client.fetchConfig(etag,
                        watch ? Optional.of(new int[] {WATCH_SECONDS, appliedVersion}) : Optional.empty());
                failures = 0;
                flushReport();
                handle(fetch);
                pause = PullPolicy.afterSuccess(current, random);
                if (watch && Duration.between(asked, Instant.now()).toMillis() < 1000 && fetch instanceof ServerClient.Fetch.NotModified) {
                    // A server that answers a watch at once would otherwise make this a busy loop.
                    pause = PullPolicy.jittered(Duration.ofSeconds(5), random);
                }
            } catch (TransportException e) {
                failures++;
                if (first) {
                    useLastKnownGood(e.getMessage());
                }
                pause = PullPolicy.afterFailure(failures, current.pullInterval(), random);
                log((e.unauthorized() ? "refused by the server" : "server unreachable") + " (" + e.getMessage()
                        + "); next attempt in " + pause.toMillis() + " ms");
            } catch (RuntimeException e) {
                failures++;
                pause = PullPolicy.afterFailure(failures, current.pullInterval(), random);
                log("configuration pull failed: " + e + "; next attempt in " + pause.toMillis() + " ms");
            }
            first = false;
            try {
                if (wakeups.poll(pause.toMillis(), TimeUnit.MILLISECONDS) != null) {
                    wakeups.clear();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void ensureRegistered() throws TransportException {
        if (!client.collectorId().isEmpty()) {
            return;
        }
        ServerClient.Enrolment enrolment;
        if (settings.enrolmentTokenFile().isPresent()) {
            enrolment = new ServerClient.Enrolment.Token(read(settings.enrolmentTokenFile().get()));
        } else if (settings.registrationSecretFile().isPresent()) {
            enrolment = new ServerClient.Enrolment.Secret(read(settings.registrationSecretFile().get()));
        } else {
            throw new IllegalStateException("not registered and neither registration_secret_file nor enrolment_token_file is set");
        }
        client.register(enrolment, settings.name(), LocalSettings.hostname(), settings.labels());
        log("registered as collector " + client.collectorId());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private void useLastKnownGood(String why) {
        Optional<AgentState.Cached> cached = state.lastKnownGood();
        if (cached.isEmpty() || appliedVersion > 0) {
            return;
        }
        log("server unreachable at start-up (" + why + "); running on the last-known-good configuration, version "
                + cached.get().version());
        apply(cached.get().version(), cached.get().document(), "", false);
    }

    private void handle(ServerClient.Fetch fetch) {
        switch (fetch) {
            case ServerClient.Fetch.NotModified nm -> { }
            case ServerClient.Fetch.NoConfiguration none -> {
                if (!collecting) {
                    log("no configuration published for this collector yet; collecting with the defaults");
                    switchTo(EffectiveConfig.defaults());
                }
            }
            case ServerClient.Fetch.Fetched f -> {
                ApplyDecision d = ApplyPolicy.decide(appliedVersion, failedVersion, f.version());
                if (d instanceof ApplyDecision.Apply) {
                    apply(f.version(), f.document(), f.etag(), true);
                } else if (f.version() == appliedVersion) {
                    etag = f.etag();
                }
            }
        }
    }

    private void apply(int version, String document, String newEtag, boolean fromServer) {
        Validation v = ConfigValidator.validate(parser.parse(document));
        if (v instanceof Validation.Invalid invalid) {
            fail(version, "the document is invalid: " + invalid.errors().stream().map(ValidationError::toString)
                    .collect(Collectors.joining("; ")));
            return;
        }
        EffectiveConfig next = ((Validation.Valid) v).effective();
        Optional<String> problem = MonitoredDatabase.checkCredentials(next.postgres());
        if (problem.isEmpty()) {
            problem = next.diskPaths().stream().filter(p -> !Files.exists(Path.of(p)))
                    .map(p -> "collectors.disk_usage.paths: " + p + " does not exist on this host").findFirst();
        }
        if (problem.isPresent()) {
            fail(version, problem.get());
            return;
        }
        boolean firstRun = !collecting;
        ConfigChange change = ConfigChange.between(firstRun ? next : current, next);
        switchTo(next);
        appliedVersion = version;
        if (fromServer) {
            etag = newEtag;
            state.saveLastKnownGood(new AgentState.Cached(version, document));
        }
        if (fromServer) {
            report(version, ApplyStatus.APPLIED, "");
        }
        log("applied configuration version " + version + " without a restart: "
                + (firstRun ? describe(next) : change.describe(next)));
    }

    private void switchTo(EffectiveConfig next) {
        boolean retarget = !next.postgres().equals(current.postgres());
        collecting = true;
        database.retarget(next.postgres());
        current = next;
        scheduler.apply(next, retarget);
        if (!next.pushInterval().equals(pushEvery)) {
            reschedulePush(next.pushInterval());
        }
    }

    private static String describe(EffectiveConfig c) {
        List<String> on = new ArrayList<>();
        c.collectors().forEach((k, s) -> {
            if (s.enabled()) {
                on.add(k.key() + " every " + s.interval().toSeconds() + " s");
            }
        });
        return String.join(", ", on) + "; push every " + c.pushInterval().toSeconds() + " s; "
                + (c.watch() ? "watching for changes" : "polling every " + c.pullInterval().toSeconds() + " s");
    }

    private void fail(int version, String error) {
        failedVersion = version;
        report(version, ApplyStatus.FAILED, error);
        log("could not apply configuration version " + version + ": " + error + "; still running version "
                + appliedVersion + ", and version " + version + " will not be retried");
    }

    private void report(int version, ApplyStatus status, String error) {
        pendingReport = Optional.of(new String[] {Integer.toString(version), status.name(), error});
        flushReport();
    }

    private void flushReport() {
        Optional<String[]> r = pendingReport;
        if (r.isEmpty()) {
            return;
        }
        try {
            client.reportStatus(Integer.parseInt(r.get()[0]), ApplyStatus.valueOf(r.get()[1]), r.get()[2],
                    current.sha256());
            pendingReport = Optional.empty();
        } catch (TransportException e) {
            log("could not report the apply status yet (" + e.getMessage() + "); will retry");
        }
    }

    private synchronized void reschedulePush(Duration every) {
        if (pushTask != null) {
            pushTask.cancel(false);
        }
        pushEvery = every;
        pushTask = pushTimer.scheduleAtFixedRate(this::pushOnce, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pushOnce() {
        if (Instant.now().isBefore(nextPushAllowed)) {
            return;
        }
        try {
            for (int round = 0; round < 20 && running; round++) {
                if (pendingBatch.isEmpty()) {
                    List<Sample> next = new ArrayList<>(buffer.take(BATCH));
                    if (next.isEmpty()) {
                        return;
                    }
                    next.add(new Sample("pgfleet_agent_dropped_samples_total", Map.of(), buffer.dropped(),
                            Instant.now().truncatedTo(ChronoUnit.MILLIS)));
                    pendingBatchId = UUID.randomUUID().toString();
                    pendingBatch = next;
                }
                if (client.collectorId().isEmpty()) {
                    return;
                }
                // The same batch id is sent until the server acknowledges it: stored exactly once.
                client.push(pendingBatchId, pendingBatch);
                pendingBatch = List.of();
                pushFailures = 0;
            }
        } catch (TransportException e) {
            // The batch is kept and retried under the same id; the buffer keeps collecting (bounded,
            // oldest dropped first). Retries back off like pulls do, so a refused agent never hammers.
            pushFailures++;
            Duration cap = pushEvery.multipliedBy(5);
            cap = cap.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5)
                    : cap.compareTo(Duration.ofSeconds(60)) > 0 ? Duration.ofSeconds(60) : cap;
            Duration pause = PullPolicy.afterFailure(pushFailures, cap, random);
            nextPushAllowed = Instant.now().plus(pause);
            log((e.unauthorized() ? "push refused by the server" : "push failed") + " (" + e.getMessage() + "); "
                    + buffer.size() + " samples waiting, " + buffer.dropped() + " dropped so far; retrying in "
                    + pause.toMillis() + " ms");
        } catch (RuntimeException e) {
            log("push failed: " + e);
        }
    }

    /**
     * The version running now.
     *
     * @return 0 before the first apply
     */
    public int appliedVersion() {
        return appliedVersion;
    }

    void log(String message) {
        out.println(Instant.now().truncatedTo(ChronoUnit.MILLIS) + " pgfleet-agent: " + message);
        out.flush();
    }

    /** Stops pulling, collecting and pushing; tries one last push. */
    @Override
    public void close() {
        running = false;
        Thread t = pullThread;
        if (t != null) {
            t.interrupt();
        }
        scheduler.close();
        pushTimer.shutdown();
        try {
            pushTimer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        database.close();
        log("stopped");
    }
}
