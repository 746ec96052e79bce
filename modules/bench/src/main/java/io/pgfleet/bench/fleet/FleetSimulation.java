package io.pgfleet.bench.fleet;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.agent.core.AgentCore;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The fleet simulator: N real agent cores ({@link SimulatedAgent}) in this JVM against K real
 * server processes on one PostgreSQL, through one scenario's events, then the checks every run
 * must pass (see {@link FleetReport}).
 */
public final class FleetSimulation {

    /** Seconds of one request-count bucket. */
    static final int BUCKET_SECONDS = 10;
    /** How long after a publish's acknowledgement every agent must run it. */
    static final Duration SYNC_DEADLINE = Duration.ofSeconds(120);
    /** 503 answers are expected this long after a planned outage ends (pools reconnecting). */
    static final Duration OUTAGE_GRACE = Duration.ofSeconds(30);
    /** Buckets this long after a disturbance are not idle (agents catching up, buffers flushed). */
    static final Duration SETTLE = Duration.ofSeconds(90);

    private static final String ADMIN_PASSWORD = "fleet-admin-password";
    private static final String SECRET = "fleet-registration-secret";

    /**
     * What to run.
     *
     * @param agents     how many agents
     * @param minutes    how long the scenario runs (after the fleet has started)
     * @param instances  how many server instances
     * @param scenario   which events
     * @param serverJar  the shipped server jar
     * @param outDir     where the report goes
     * @param outage     how long a planned outage lasts
     * @param idleLimit  the most requests an idle agent may make in a minute
     * @param serverHeap each server's -Xmx
     * @param ramp       over how long the agents start (hosts coming up; zero for all at once)
     * @param outageAt   when a planned outage starts, after the fleet has started; empty: the scenario's own
     *                   fraction of the run (an hour-long outage needs an early start to fit in a run)
     */
    public record Options(int agents, double minutes, int instances, Scenario scenario, Path serverJar, Path outDir,
                          Duration outage, int idleLimit, String serverHeap, Duration ramp,
                          Optional<Duration> outageAt) {
        /** Checks the numbers. */
        public Options {
            if (agents < 1 || instances < 1 || minutes <= 0 || idleLimit < 1) {
                throw new IllegalArgumentException("agents, instances, minutes and the idle limit are positive");
            }
            if (outageAt.filter(Duration::isNegative).isPresent()) {
                throw new IllegalArgumentException("an outage cannot start before the fleet has started");
            }
        }

        /** A run whose outage, if any, starts at the scenario's own fraction of the run. */
        public Options(int agents, double minutes, int instances, Scenario scenario, Path serverJar, Path outDir,
                       Duration outage, int idleLimit, String serverHeap, Duration ramp) {
            this(agents, minutes, instances, scenario, serverJar, outDir, outage, idleLimit, serverHeap, ramp,
                    Optional.empty());
        }
    }

    /** A planned outage or a publish: a time window the checks treat apart. */
    record Window(String what, long startMillis, long endMillis, boolean outage) {
    }

    private final Options o;
    private final long startMillis;
    /** When the whole fleet has started: bucket 0 of the request counts. */
    private final java.util.concurrent.atomic.AtomicLong runStart = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
    private final List<Window> windows = new CopyOnWriteArrayList<>();
    private final List<PublishResult> publishes = new CopyOnWriteArrayList<>();
    private final List<String> timeline = new CopyOnWriteArrayList<>();
    private final List<MemorySample> memory = new CopyOnWriteArrayList<>();
    /** Live heap (after a full GC) of each server life, a quarter into it and at the end. */
    private final List<LiveHeap> liveHeap = new CopyOnWriteArrayList<>();
    /** When the sampler first saw each server life ("server-i#generation"). */
    private final Map<String, Long> lifeStarts = new java.util.concurrent.ConcurrentHashMap<>();
    /** The checks of the scenario's own events (rollouts, the rolling upgrade), besides the six of every run. */
    private final List<FleetReport.Check> scenarioChecks = new CopyOnWriteArrayList<>();
    /** What the scenario's own events measured, for the report. */
    private final Map<String, Object> scenarioFacts = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Path dir;
    private volatile EmbeddedDatabase pg;
    private int pgGeneration = 1;
    private final int pgPort;
    private ServerTier tier;
    private AdminClient admin;
    private final List<SimulatedAgent> agents = new ArrayList<>();
    private BufferedWriter agentLog;

    /** One publish: how fast the agents it changed ran it. */
    record PublishResult(String what, long ackMillis, int tracked, List<Long> latenciesMillis, List<String> notSynced) {
    }

    /** One look at a process's memory. */
    record MemorySample(long atMillis, String process, int generation, double rssMiB, double heapMiB, double cpuSeconds) {
    }

    /** One look at a server life's live heap: heap in use right after a full GC ({@code when}: quarter or end). */
    record LiveHeap(long atMillis, String process, int generation, String when, double liveMiB) {
    }

    private FleetSimulation(Options o) throws IOException {
        this.o = o;
        this.startMillis = System.currentTimeMillis();
        this.dir = Files.createTempDirectory("pgfleet-fleet");
        try (ServerSocket s = new ServerSocket(0)) {
            this.pgPort = s.getLocalPort();
        }
    }

    /**
     * Runs a scenario and writes its report.
     *
     * @param o what to run
     * @return the report (its checks say whether the run passed)
     * @throws Exception when the simulation itself could not run
     */
    public static FleetReport run(Options o) throws Exception {
        return new FleetSimulation(o).run();
    }

    private FleetReport run() throws Exception {
        Files.createDirectories(o.outDir());
        agentLog = Files.newBufferedWriter(o.outDir().resolve(o.scenario().cliName() + "-agents.log"));
        say("scenario " + o.scenario().cliName() + ": " + o.agents() + " agents, " + o.instances() + " instance(s), "
                + o.minutes() + " min; data in " + dir);
        pg = EmbeddedDatabase.start(dir.resolve("db"), pgPort);
        Map<String, String> env = new HashMap<>();
        DatabaseSettings db = pg.settings(16);
        env.put("PGFLEET_DB_URL", db.url());
        env.put("PGFLEET_DB_USER", db.user());
        env.put("PGFLEET_DB_PASSWORD", db.password());
        env.put("PGFLEET_DB_POOL_SIZE", "16");
        env.put("PGFLEET_ADMIN_PASSWORD", ADMIN_PASSWORD);
        env.put("PGFLEET_REGISTRATION_SECRET", SECRET);
        switch (o.scenario()) {
            case TOKEN_EXPIRY -> env.put("PGFLEET_ACCESS_TOKEN_TTL", "30");
            case KEY_ROTATION -> env.put("PGFLEET_ACCESS_TOKEN_TTL", "60");
            default -> { }
        }
        tier = new ServerTier(o.serverJar(), dir, o.outDir().resolve(o.scenario().cliName() + "-server-logs"),
                o.instances(), env, o.serverHeap());
        SharedScheduler scheduler = new SharedScheduler();
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        try {
            tier.startAll();
            say("servers up on " + java.util.stream.IntStream.range(0, tier.size()).mapToObj(i -> tier.uri(i).toString()).toList());
            admin = new AdminClient(tier::uri, tier::alive, tier.size(), ADMIN_PASSWORD);
            if (o.scenario() != Scenario.ENROL_THEN_PUBLISH) {
                admin.publishFleet(fleetDocument(0));
            }
            if (o.scenario() == Scenario.GROUP_PUBLISH) {
                admin.createGroup("prod", "{\"env\":\"prod\"}");
            }
            startAgents(scheduler);
            long runStart = System.currentTimeMillis();
            this.runStart.set(runStart);
            windows.add(new Window("enrolment and first pulls", startMillis, runStart + 10_000, false));
            Future<?> sampler = background.submit(this::sampleMemory);
            Future<?> watcher = background.submit(this::watchLockouts);
            List<Future<?>> tracking = new ArrayList<>();
            for (Event e : events(runStart)) {
                sleepUntil(e.atMillis());
                say("t+" + (System.currentTimeMillis() - runStart) / 1000 + " s: " + e.what());
                timeline.add("t+" + (System.currentTimeMillis() - runStart) / 1000 + " s " + e.what());
                e.action().run(tracking, background);
            }
            sleepUntil(runStart + (long) (o.minutes() * 60_000));
            for (Future<?> f : tracking) {
                f.get();
            }
            sampler.cancel(true);
            watcher.cancel(true);
            sampleOnce();
            liveLooks(true);
            say("stopping " + agents.size() + " agents (each pushes what it still holds)");
            stopAgents();
            long endMillis = System.currentTimeMillis();
            FleetReport report = FleetReport.build(o, this, runStart, endMillis);
            report.write(o.outDir());
            return report;
        } finally {
            scheduler.close();
            background.shutdownNow();
            tier.close();
            try {
                pg.close();
            } catch (RuntimeException e) {
                say("stopping PostgreSQL: " + e.getMessage());
            }
            agentLog.close();
            deleteTree(dir);
        }
    }

    // ---- the fleet --------------------------------------------------------------------------------

    private void startAgents(SharedScheduler scheduler) throws Exception {
        int buckets = (int) (o.minutes() * 60 / BUCKET_SECONDS) + 120;
        List<Optional<String>> tokens = new ArrayList<>();
        for (int i = 0; i < o.agents(); i++) {
            // One agent in ten enrols with a one-time token for a collector provisioned ahead; the
            // others register with the fleet's secret.
            tokens.add(i % 10 == 3 ? Optional.of(admin.enrolmentToken("sim-tok-" + i)) : Optional.empty());
        }
        for (int i = 0; i < o.agents(); i++) {
            agents.add(new SimulatedAgent(i, tier.uri(i % tier.size()), SECRET, tokens.get(i), skew(i), scheduler,
                    buckets, runStart, this::agentLog, profile(o.scenario(), i)));
        }
        long spreadMicros = o.ramp().toNanos() / 1000 / o.agents();
        long t0 = System.nanoTime();
        for (int i = 0; i < agents.size(); i++) {
            agents.get(i).core.start();
            long due = t0 + (i + 1) * spreadMicros * 1000;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
        say(agents.size() + " agents started");
    }

    /**
     * What sets agent {@code i} apart: in {@code rollout} one in forty is a canary (never one that
     * enrols with a token); in {@code rolling-upgrade} every odd one runs the previous release.
     */
    static SimulatedAgent.Profile profile(Scenario scenario, int i) {
        return switch (scenario) {
            case ROLLOUT -> new SimulatedAgent.Profile(false, i % 40 == 5, Map.of());
            case ROLLING_UPGRADE -> new SimulatedAgent.Profile(i % 2 == 1, false,
                    Map.of("release", i % 2 == 1 ? "previous" : "current"));
            default -> SimulatedAgent.Profile.PLAIN;
        };
    }

    /** A few agents have clocks off by days, one in a hundred by more than a year. */
    static Duration skew(int i) {
        if (i % 100 == 29) {
            return Duration.ofDays(400);
        }
        if (i % 50 == 7) {
            return Duration.ofDays(3);
        }
        if (i % 50 == 13) {
            return Duration.ofDays(-2).minusHours(5);
        }
        return Duration.ZERO;
    }

    private synchronized void agentLog(String line) {
        try {
            agentLog.write(Instant.now() + " " + line);
            agentLog.newLine();
        } catch (IOException e) {
            // the log is a convenience
        }
    }

    private void stopAgents() throws InterruptedException {
        try (ExecutorService stop = Executors.newVirtualThreadPerTaskExecutor()) {
            for (SimulatedAgent a : agents) {
                stop.submit(a.core::stop);
            }
        }
    }

    List<SimulatedAgent> agents() {
        return agents;
    }

    List<Window> windows() {
        return windows;
    }

    List<PublishResult> publishes() {
        return publishes;
    }

    List<String> timeline() {
        return timeline;
    }

    List<MemorySample> memory() {
        return memory;
    }

    ServerTier tier() {
        return tier;
    }

    List<FleetReport.Check> scenarioChecks() {
        return scenarioChecks;
    }

    Map<String, Object> scenarioFacts() {
        return scenarioFacts;
    }

    /** When the whole fleet had started (bucket 0 of the request counts). */
    long runStartMillis() {
        return runStart.get();
    }

    // ---- events -----------------------------------------------------------------------------------

    /** What an event does; it may start background tracking. */
    @FunctionalInterface
    interface Action {
        void run(List<Future<?>> tracking, ExecutorService background) throws Exception;
    }

    record Event(long atMillis, String what, Action action) {
    }

    /** When the planned outage starts: the option when given, else the scenario's offset into the run. */
    private long outageStart(long t0, long scenarioOffsetMillis) {
        return t0 + o.outageAt().map(Duration::toMillis).orElse(scenarioOffsetMillis);
    }

    private List<Event> events(long t0) {
        long total = (long) (o.minutes() * 60_000);
        long outage = o.outage().toMillis();
        List<Event> e = new ArrayList<>();
        switch (o.scenario()) {
            case ENROL_THEN_PUBLISH -> {
                e.add(publish(t0 + total * 4 / 10, 1));
                e.add(publish(t0 + total * 7 / 10, 2));
            }
            case STEADY, TOKEN_EXPIRY -> e.add(publish(t0 + total / 2, 1));
            case KILL_SERVER -> {
                // Not before 40 s: a short run first measures its agents idle.
                long at = outageStart(t0, Math.max(total * 3 / 10, 40_000));
                int victim = o.instances() - 1;
                e.add(new Event(at, "kill -9 of server instance " + victim, (t, b) -> {
                    windowStart("server instance " + victim + " killed");
                    tier.kill(victim);
                }));
                e.add(new Event(at + outage, "restart of server instance " + victim, (t, b) -> {
                    tier.start(victim);
                    windowEnd();
                }));
                e.add(publish(Math.max(at + outage + 5_000, t0 + total * 6 / 10), 1));
            }
            case PG_RESTART -> {
                long at = outageStart(t0, total * 3 / 10);
                e.add(new Event(at, "PostgreSQL stopped", (t, b) -> {
                    windowStart("PostgreSQL restart");
                    pg.close();
                }));
                e.add(new Event(at + outage, "PostgreSQL started again", (t, b) -> {
                    pg = EmbeddedDatabase.start(dir.resolve("db"), pgPort);
                    pgGeneration++;
                    windowEnd();
                }));
                e.add(publish(Math.max(at + outage + 20_000, t0 + total * 6 / 10), 1));
            }
            case TIER_AWAY -> {
                long at = outageStart(t0, total * 2 / 10);
                e.add(new Event(at, "kill -9 of every server instance", (t, b) -> {
                    windowStart("server tier away");
                    for (int i = 0; i < tier.size(); i++) {
                        tier.kill(i);
                    }
                }));
                e.add(new Event(at + outage, "every server instance started again", (t, b) -> {
                    for (int i = 0; i < tier.size(); i++) {
                        tier.start(i);
                    }
                    windowEnd();
                }));
                e.add(publish(Math.max(at + outage + 30_000, t0 + total * 7 / 10), 1));
            }
            case KEY_ROTATION -> {
                e.add(new Event(t0 + total * 3 / 10, "signing key rotated", (t, b) -> admin.rotateSigningKey()));
                e.add(new Event(t0 + total * 55 / 100, "signing key rotated again", (t, b) -> admin.rotateSigningKey()));
                e.add(publish(t0 + total * 75 / 100, 1));
            }
            case GROUP_PUBLISH -> {
                e.add(new Event(t0 + total * 4 / 10, "group prod (env=prod) publishes its layer",
                        (t, b) -> track("group prod publish", t, b, () -> admin.publishGroup("prod", """
                                [collectors.pg_locks]
                                enabled = true
                                interval = 60
                                """))));
                e.add(publish(t0 + total * 75 / 100, 1));
            }
            case ROLLOUT -> {
                java.util.concurrent.CompletableFuture<Void> first = new java.util.concurrent.CompletableFuture<>();
                e.add(new Event(t0 + total * 2 / 10, "staged rollout of the fleet layer: canaries, 50 %, 100 %",
                        (t, b) -> t.add(b.submit(() -> {
                            try {
                                new Rollouts(this).good();
                            } finally {
                                first.complete(null);
                            }
                            return null;
                        }))));
                e.add(new Event(t0 + total * 55 / 100, "staged rollout of a version the canaries cannot apply",
                        (t, b) -> t.add(b.submit(() -> {
                            first.get();
                            new Rollouts(this).bad();
                            return null;
                        }))));
            }
            case ROLLING_UPGRADE -> {
                RollingUpgrade upgrade = new RollingUpgrade(this);
                e.add(new Event(t0 + total * 3 / 10, "fleet-wide publish of a schema-2 key (pg_stat_statements), not forced",
                        (t, b) -> upgrade.refused()));
                e.add(new Event(t0 + total * 45 / 100, "the same publish with ?force=true",
                        (t, b) -> t.add(b.submit(() -> {
                            upgrade.forced();
                            return null;
                        }))));
                e.add(new Event(t0 + total * 75 / 100, "the key moves to group upgraded (release=current); the fleet layer drops it",
                        (t, b) -> t.add(b.submit(() -> {
                            upgrade.moved();
                            return null;
                        }))));
            }
        }
        e.sort(java.util.Comparator.comparingLong(Event::atMillis));
        return e;
    }

    AdminClient admin() {
        return admin;
    }

    void addWindow(String what, long from, long to) {
        windows.add(new Window(what, from, to, false));
    }

    void addPublish(PublishResult result) {
        publishes.add(result);
    }

    /**
     * Waits until each agent runs at least the given effective revision, as a publish is tracked.
     *
     * @param what     the event's name in the report
     * @param since    when the event was acknowledged (latencies count from here)
     * @param expected each agent and the revision it must run
     * @param deadline until when
     * @return the result, also added to the run's publishes
     */
    PublishResult awaitRunning(String what, long since, Map<SimulatedAgent, Integer> expected, long deadline) {
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        Map<SimulatedAgent, Integer> waiting = new ConcurrentHashMap<>(expected);
        while (!waiting.isEmpty() && System.currentTimeMillis() < deadline) {
            long now = System.currentTimeMillis();
            waiting.entrySet().removeIf(en -> {
                if (en.getKey().core.appliedVersion() >= en.getValue()) {
                    latencies.add(now - since);
                    return true;
                }
                return false;
            });
            try {
                Thread.sleep(50);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<String> late = waiting.keySet().stream().map(a -> a.name + " (" + a.collectorId() + ", runs v"
                + a.core.appliedVersion() + ", expected v" + waiting.get(a) + ")").sorted().toList();
        PublishResult r = new PublishResult(what, since, expected.size(), List.copyOf(latencies), late);
        publishes.add(r);
        say(what + ": " + latencies.size() + "/" + expected.size() + " agents run it"
                + (late.isEmpty() ? "" : "; not after the deadline: " + late.size()));
        return r;
    }

    /** The agents whose effective revision moved between two looks, with the revision they must run. */
    Map<SimulatedAgent, Integer> changed(Map<String, Integer> before, Map<String, Integer> after,
                                         java.util.function.Predicate<SimulatedAgent> which) {
        Map<SimulatedAgent, Integer> m = new LinkedHashMap<>();
        for (SimulatedAgent a : agents) {
            Integer v = after.get(a.collectorId());
            if (which.test(a) && v != null && !v.equals(before.get(a.collectorId()))) {
                m.put(a, v);
            }
        }
        return m;
    }

    /** Each collector's effective sources ({@code fleet@3, group/prod@1}). */
    Map<String, String> sources() throws SQLException {
        Map<String, String> m = new HashMap<>();
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT collector_id, sources FROM effective_configs")) {
            while (rs.next()) {
                m.put(rs.getString(1), String.valueOf(rs.getString(2)));
            }
        }
        return m;
    }

    void check(String name, boolean passed, String detail) {
        scenarioChecks.add(new FleetReport.Check(name, passed, detail));
        say((passed ? "held: " : "FAILED: ") + name + " — " + detail);
    }

    private Event publish(long at, int n) {
        return new Event(at, "fleet-wide publish " + n,
                (t, b) -> track("fleet-wide publish " + n, t, b, () -> admin.publishFleet(fleetDocument(n))));
    }

    /** The fleet layer: default intervals, with one value that differs per publish. */
    static String fleetDocument(int n) {
        return """
                [collector]
                push_interval = 60

                [collectors.disk_usage]
                interval = %d
                """.formatted(300 + n);
    }

    private volatile long openWindow;
    private volatile String openWhat = "";

    private void windowStart(String what) {
        openWindow = System.currentTimeMillis();
        openWhat = what;
    }

    private void windowEnd() {
        windows.add(new Window(openWhat, openWindow, System.currentTimeMillis(), true));
    }

    /** A publish, then the agents it changed watched until each runs its new version. */
    @FunctionalInterface
    interface Publish {
        void run() throws Exception;
    }

    private void track(String what, List<Future<?>> tracking, ExecutorService background, Publish publish)
            throws Exception {
        Map<String, Integer> before = revisions();
        try {
            publish.run();
        } catch (java.io.IOException e) {
            // A refused publish fails the run's publish check; the run goes on.
            say(what + " refused: " + e.getMessage());
            publishes.add(new PublishResult(what + " (refused: " + e.getMessage() + ")", System.currentTimeMillis(), 0,
                    List.of(), List.of("the publish itself was refused")));
            return;
        }
        long ack = System.currentTimeMillis();
        Map<String, Integer> after = revisions();
        windows.add(new Window(what, ack, ack + 30_000, false));
        Map<SimulatedAgent, Integer> expected = new LinkedHashMap<>();
        for (SimulatedAgent a : agents) {
            Integer v = after.get(a.collectorId());
            if (v != null && !v.equals(before.get(a.collectorId()))) {
                expected.put(a, v);
            }
        }
        say(what + " acknowledged; " + expected.size() + " agents have a new version to run");
        tracking.add(background.submit(() -> {
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            Map<SimulatedAgent, Integer> waiting = new ConcurrentHashMap<>(expected);
            long deadline = ack + SYNC_DEADLINE.toMillis();
            while (!waiting.isEmpty() && System.currentTimeMillis() < deadline) {
                long now = System.currentTimeMillis();
                waiting.entrySet().removeIf(en -> {
                    if (en.getKey().core.appliedVersion() >= en.getValue()) {
                        latencies.add(now - ack);
                        return true;
                    }
                    return false;
                });
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ex) {
                    return;
                }
            }
            List<String> late = waiting.keySet().stream().map(a -> a.name + " (" + a.collectorId() + ", runs v"
                    + a.core.appliedVersion() + ", expected v" + waiting.get(a) + ")").sorted().toList();
            publishes.add(new PublishResult(what, ack, expected.size(), List.copyOf(latencies), late));
            say(what + ": " + latencies.size() + "/" + expected.size() + " agents in sync"
                    + (late.isEmpty() ? "" : "; not in sync after " + SYNC_DEADLINE.toSeconds() + " s: " + late.size()));
        }));
    }

    // ---- observation ------------------------------------------------------------------------------

    private void watchLockouts() {
        while (!Thread.currentThread().isInterrupted()) {
            agents.forEach(SimulatedAgent::everLockedOut);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sampleMemory() {
        while (!Thread.currentThread().isInterrupted()) {
            sampleOnce();
            liveLooks(false);
            try {
                Thread.sleep(15_000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Full GC and live heap of each running server instance: at the end ({@code atEnd}), or for
     * each life that has reached a quarter of its span to the planned end of the run and has no
     * quarter look yet. A full GC pauses the instance for a moment (SerialGC, tens of ms), twice
     * per life.
     */
    private void liveLooks(boolean atEnd) {
        long now = System.currentTimeMillis();
        long plannedEnd = runStart.get() + (long) (o.minutes() * 60_000);
        for (int i = 0; i < tier.size(); i++) {
            Optional<Long> pid = tier.pid(i);
            if (pid.isEmpty()) {
                continue;
            }
            int gen = tier.generation(i);
            String process = "server-" + i;
            String life = process + "#" + gen;
            long born = lifeStarts.computeIfAbsent(life, k -> now);
            String when = atEnd ? "end" : "quarter";
            boolean due = atEnd || (now >= born + (plannedEnd - born) / 4
                    && liveHeap.stream().noneMatch(l -> l.process().equals(process) && l.generation() == gen
                    && l.when().equals("quarter")));
            if (due) {
                double live = Procs.liveHeapMiB(pid.get());
                if (live >= 0) {
                    liveHeap.add(new LiveHeap(System.currentTimeMillis(), process, gen, when, live));
                    say("live heap of " + process + " (life " + gen + ", " + when + "): " + Math.round(live) + " MiB");
                }
            }
        }
    }

    List<LiveHeap> liveHeap() {
        return liveHeap;
    }

    private void sampleOnce() {
        long now = System.currentTimeMillis();
        for (int i = 0; i < tier.size(); i++) {
            Optional<Long> pid = tier.pid(i);
            if (pid.isPresent()) {
                try {
                    memory.add(new MemorySample(now, "server-" + i, tier.generation(i), Procs.rssMiB(pid.get()),
                            Procs.heapUsedMiB(pid.get()), Procs.cpuSeconds(pid.get())));
                } catch (IOException | RuntimeException e) {
                    // it went away between the two looks
                }
            }
        }
        double pss = Procs.postgresPssMiB(dir.resolve("db").resolve("postgres"));
        if (pss > 0) {
            memory.add(new MemorySample(now, "postgresql", pgGeneration, pss, -1, -1));
        }
        Runtime rt = Runtime.getRuntime();
        memory.add(new MemorySample(now, "simulator", 1, -1, (rt.totalMemory() - rt.freeMemory()) / 1048576.0,
                Procs.ownCpuSeconds()));
    }

    /** Each collector's newest effective revision. */
    Map<String, Integer> revisions() throws SQLException {
        Map<String, Integer> m = new HashMap<>();
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT collector_id, revision FROM effective_configs")) {
            while (rs.next()) {
                m.put(rs.getString(1), rs.getInt(2));
            }
        }
        return m;
    }

    Connection connect() throws SQLException {
        DatabaseSettings db = pg.settings(1);
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    // ---- plumbing ---------------------------------------------------------------------------------

    private static void sleepUntil(long millis) throws InterruptedException {
        long wait = millis - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    static void say(String line) {
        System.out.println(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " fleet: " + line);
        System.out.flush();
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
    }

    /** The core's constant, for the report. */
    static String droppedMetric() {
        return AgentCore.DROPPED_METRIC;
    }
}
