package io.pgfleet.agent.core;

import io.pgfleet.toml.TomlDocumentParser;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/** In-memory ports for the core's unit tests: a server, collectors and a host, all observable. */
final class Fakes {

    final FakeScheduler scheduler = new FakeScheduler();
    final List<String> log = new CopyOnWriteArrayList<>();
    /** When (fake time) each line of {@link #log} was first said. */
    final Map<String, java.time.Instant> logAt = new java.util.concurrent.ConcurrentHashMap<>();
    final List<ConfigSource.Request> requests = new CopyOnWriteArrayList<>();
    final List<StatusReporter.Report> reports = new ArrayList<>();
    /** How the server answers a status report: empty accepts it (each attempt is in {@link #reportAttempts}). */
    Function<StatusReporter.Report, Optional<ServerException>> reportAnswer = r -> Optional.empty();
    /** Every status report sent, accepted or not. */
    final List<StatusReporter.Report> reportAttempts = new ArrayList<>();
    final Map<String, List<Sample>> stored = new java.util.LinkedHashMap<>();
    final List<Integer> pushedSizes = new ArrayList<>();
    /** When each push the server took arrived, in the scheduler's time (in the order of {@link #pushedSizes}). */
    final List<Instant> pushTimes = new ArrayList<>();
    /** When each status report the server took arrived, in the scheduler's time (in the order of {@link #reports}). */
    final List<Instant> reportTimes = new ArrayList<>();
    final List<CollectorKind> collected = new ArrayList<>();
    final List<EffectiveConfig.PostgresTarget> targets = new ArrayList<>();
    final Set<String> readableFiles = new HashSet<>();
    final List<String> filesAsked = new ArrayList<>();
    final Deque<ServerException> fetchFailures = new ArrayDeque<>();
    /** Thrown by the next fetches, once each (an answer too large for the heap, say). */
    final Deque<Error> fetchErrors = new ArrayDeque<>();
    /** When each pull reached the server, in the scheduler's time. */
    final List<Instant> requestTimes = new CopyOnWriteArrayList<>();
    /** Documents whose parsing runs out of memory, every time (too large for the agent's heap). */
    java.util.function.Predicate<String> parseRunsOutOfMemory = d -> false;
    /** How many times each document was parsed. */
    final Map<String, Integer> parses = new java.util.concurrent.ConcurrentHashMap<>();
    int registrations;
    /** Registrations that reached the server, accepted or refused. */
    int registrationAttempts;
    /** The credentials the server refuses, as this release's server does (401 unauthorized, in words). */
    java.util.function.Predicate<Enroller.Credential> refusedCredentials = c -> false;
    /** What the host's registration_secret_file holds. */
    Optional<String> registrationSecret = Optional.of("secret");
    Optional<String> collectorId = Optional.of("c-1");
    Optional<String> enrolmentToken = Optional.empty();
    /** The labels of the agent's local file. */
    Map<String, String> fileLabels = Map.of();
    /** The newest published version and its document, empty for none. */
    Optional<Map.Entry<Integer, String>> published = Optional.empty();
    /** How the sink answers a batch: empty accepts it. */
    Function<List<Sample>, Optional<ServerException>> sinkAnswer = s -> Optional.empty();
    int samplesPerRun = 3;
    /** What a failing run ({@link #samplesPerRun} below 0) says. */
    volatile String collectFailure = "connection refused";
    /** Whether every run reads only part of what it should (its samples, then {@link MetricSource.PartlyCollected}). */
    volatile boolean partly;
    /** Runs inside the next collection (once). */
    Optional<Runnable> duringNextCollection = Optional.empty();
    /** Runs inside every collection, given its collector (a database that takes its time to answer, say). */
    java.util.function.Consumer<CollectorKind> duringEachCollection = kind -> {
    };
    /** A real state directory to keep the last-known-good in instead of memory. */
    Optional<LastKnownGoodStore> realStore = Optional.empty();
    /** A real sink to push to instead of the in-memory one. */
    Optional<SampleSink> realSink = Optional.empty();
    /** Whether the server is away: every pull and push fails as unreachable (counted in {@link #pushAttempts}). */
    boolean serverAway;
    /** How every pull and push fails while {@link #serverAway}: by default, connection refused. */
    volatile ServerException awayAs = new ServerException(ServerException.Kind.UNAVAILABLE,
            "cannot reach the server: connection refused", null);
    /** Pushes attempted while the server was away. */
    int pushAttempts;
    /**
     * Whether the server answers as this release's does: a version other than {@code after} at once
     * (an older one too: its history is behind the agent's), a 304 with the version and tag it has,
     * tags that name version and content (so a reused number with another document has another tag).
     */
    boolean asTodaysServer;
    /** Whether watches honour {@code after} (a server that does not answers the newest version at once). */
    boolean honourAfter = true;
    long sampleSeq;
    /** Whether the state directory can be written (a full or read-only disk when false). */
    boolean stateWritable = true;
    /** What the spool keeps, as the state directory would across restarts of the agent. */
    SampleSpool.Unsent spooled = SampleSpool.Unsent.NOTHING;
    /** What the spool reads back at start: by default what it kept, whole. */
    java.util.function.Supplier<SampleSpool.Loaded> spoolLoad = () -> SampleSpool.Loaded.whole(spooled);
    /** How often the spool was written. */
    int spoolWrites;
    /** What the monitored database offers when the core probes it; empty: unreachable. */
    Optional<io.pgfleet.domain.fleet.HostFacts.PostgresFacts> database = Optional.empty();
    /** What the PostgreSQL on a port offers, when not {@link #database}: another database than the running one. */
    final Map<Integer, io.pgfleet.domain.fleet.HostFacts.PostgresFacts> databaseOnPort =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Runs inside every probe, before it answers (a database that takes its time: the test lets fake time pass). */
    volatile java.util.function.Consumer<EffectiveConfig.PostgresTarget> duringEachProbe = t -> {
    };
    /** Ports whose PostgreSQL cannot be reached, with what the driver says. */
    final Map<Integer, String> unreachablePorts = new java.util.concurrent.ConcurrentHashMap<>();
    /** Targets whose reach was checked ({@link MetricSource#unreachable}), in order. */
    final List<EffectiveConfig.PostgresTarget> reachAsked = new CopyOnWriteArrayList<>();
    /**
     * Runs inside every check that a target can be reached, before it answers (a database that logs
     * the agent in and then answers nothing: the test lets fake time pass in it).
     */
    volatile java.util.function.Consumer<EffectiveConfig.PostgresTarget> duringEachReachCheck = t -> {
    };
    /** Targets probed, in order. */
    final List<EffectiveConfig.PostgresTarget> probed = new ArrayList<>();
    /** Symbolic links on this fake host: a path and the real path it resolves to. */
    final Map<String, String> links = new java.util.HashMap<>();
    /** What the core told its own metrics, in words: {@code pull new_version}, {@code push ok 4}, … */
    final List<String> selfMetrics = new CopyOnWriteArrayList<>();
    /** How long each collection took, as the core told its own metrics, in order. */
    final List<Duration> collectionDurations = new CopyOnWriteArrayList<>();
    /** Runs at the start of every configuration request the server answers. */
    volatile Runnable duringEachFetch = () -> { };
    /**
     * Whether a watch with nothing newer blocks its (real) thread until {@link ConfigSource#abortWatch()}
     * ends it, as a server holding it for a minute would, instead of holding in fake time. Cleared:
     * a watch blocked now is answered (nothing new).
     */
    volatile boolean watchesBlock;
    /** Watches blocked now or before ({@link #watchesBlock}), in the order they began. */
    final java.util.concurrent.BlockingQueue<ConfigSource.Request> blockedWatches =
            new java.util.concurrent.LinkedBlockingQueue<>();
    /** Runs inside the next watch held in fake time, before it is held (once). */
    volatile Optional<Runnable> duringNextWatch = Optional.empty();
    /** How many times the core asked to end a watch. */
    final java.util.concurrent.atomic.AtomicInteger aborts = new java.util.concurrent.atomic.AtomicInteger();
    /** Whether each fetch found its thread's interrupt flag set, in order. */
    final List<Boolean> fetchedInterrupted = new CopyOnWriteArrayList<>();
    private final Object watchGate = new Object();
    /** Whether an abort is pending, as the contract says: until a fetch returns. Guarded by watchGate. */
    private boolean watchAborted;

    /**
     * A core (buffer of 1000 samples, default allow-lists) started with this version published, after
     * its first second: the usual start of a test.
     */
    AgentCore started(int version, String document) {
        AgentCore core = with().published(version, document).start();
        scheduler.runFor(Duration.ofSeconds(1));
        return core;
    }

    /**
     * A core to describe and build or start.
     *
     * @return a builder on these fakes
     */
    /** The tag this release's server gives a version: its number and content. */
    static String tag(int version, String document) {
        return "\"" + version + "-" + Integer.toHexString(document.hashCode()) + "\"";
    }

    private ConfigSource.Fetch asTodaysServer(ConfigSource.Request r, Optional<Map.Entry<Integer, String>> p) {
        if (p.isEmpty()) {
            if (r.watchSeconds() > 0) {
                scheduler.advance(Duration.ofSeconds(r.watchSeconds()), Scheduler.Lane.PULL);
            }
            return r.watchSeconds() == 0 && r.after() == 0 ? new ConfigSource.Fetch.NoConfiguration() : new ConfigSource.Fetch.NotModified();
        }
        int v = p.get().getKey();
        String tag = tag(v, p.get().getValue());
        boolean plain = r.watchSeconds() == 0 && r.after() == 0;
        if (v == r.after() && !plain) {
            scheduler.advance(Duration.ofSeconds(r.watchSeconds()), Scheduler.Lane.PULL);
            return new ConfigSource.Fetch.NotModified(v, tag);
        }
        return r.etag().equals(tag) ? new ConfigSource.Fetch.NotModified(v, tag)
                : new ConfigSource.Fetch.Fetched(v, tag, p.get().getValue());
    }

    CoreBuilder with() {
        return new CoreBuilder(this);
    }

    AgentCore core(int bufferSamples) {
        return core(bufferSamples, AllowLists.defaults());
    }

    /** Stops blocking watches and answers the one blocked now. */
    void unblockWatches() {
        synchronized (watchGate) {
            watchesBlock = false;
            watchGate.notifyAll();
        }
    }

    /** A watch with nothing newer: blocked, or held in fake time; ended early by an abort. */
    private ConfigSource.Fetch hold(ConfigSource.Request r) {
        Optional<Runnable> during = duringNextWatch;
        duringNextWatch = Optional.empty();
        during.ifPresent(Runnable::run);
        synchronized (watchGate) {
            if (watchesBlock) {
                blockedWatches.add(r);
            }
            while (watchesBlock && !watchAborted) {
                try {
                    watchGate.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted in a blocked watch", e);
                }
            }
            if (watchAborted) {
                return new ConfigSource.Fetch.Aborted();
            }
        }
        scheduler.advance(Duration.ofSeconds(r.watchSeconds()), Scheduler.Lane.PULL);
        return new ConfigSource.Fetch.NotModified();
    }

    /** The server's answer to one request (recorded in {@link #requests}). */
    private ConfigSource.Fetch answer(ConfigSource.Request r) throws ServerException {
        requests.add(r);
        requestTimes.add(scheduler.now());
        if (serverAway) {
            throw awayAs;
        }
        if (!fetchFailures.isEmpty()) {
            throw fetchFailures.poll();
        }
        if (!fetchErrors.isEmpty()) {
            throw fetchErrors.poll();
        }
        duringEachFetch.run();
        Optional<Map.Entry<Integer, String>> p = published;
        if (asTodaysServer) {
            return asTodaysServer(r, p);
        }
        if (r.watchSeconds() == 0) {
            return p.<ConfigSource.Fetch>map(e -> new ConfigSource.Fetch.Fetched(e.getKey(), "\"v" + e.getKey() + "\"", e.getValue()))
                    .orElse(new ConfigSource.Fetch.NoConfiguration());
        }
        if (p.isPresent() && (p.get().getKey() > r.after() || !honourAfter)) {
            return new ConfigSource.Fetch.Fetched(p.get().getKey(), "\"v" + p.get().getKey() + "\"", p.get().getValue());
        }
        // Held for the whole watch, as the server does when nothing is newer.
        return hold(r);
    }

    AgentCore core(int bufferSamples, AllowLists allow) {
        ConfigSource source = new ConfigSource() {
            @Override
            public Fetch fetch(Request r) throws ServerException {
                fetchedInterrupted.add(Thread.currentThread().isInterrupted());
                try {
                    return answer(r);
                } finally {
                    synchronized (watchGate) {
                        watchAborted = false;
                    }
                }
            }

            @Override
            public void abortWatch() {
                aborts.incrementAndGet();
                synchronized (watchGate) {
                    watchAborted = true;
                    watchGate.notifyAll();
                }
            }
        };
        SampleSink fakeSink = (id, samples) -> {
            if (serverAway) {
                pushAttempts++;
                throw awayAs;
            }
            Optional<ServerException> refusal = sinkAnswer.apply(samples);
            if (refusal.isPresent()) {
                throw refusal.get();
            }
            pushedSizes.add(samples.size());
            pushTimes.add(scheduler.now());
            stored.putIfAbsent(id, List.copyOf(samples));
        };
        SampleSink sink = realSink.orElse(fakeSink);
        Enroller enroller = new Enroller() {
            @Override
            public Optional<String> collectorId() {
                return collectorId;
            }

            @Override
            public String register(Credential credential, String name, String hostname, Map<String, String> labels)
                    throws ServerException {
                if (serverAway) {
                    throw awayAs;
                }
                registrationAttempts++;
                if (refusedCredentials.test(credential)) {
                    throw new ServerException(ServerException.Kind.UNAUTHORIZED, "registration refused (401 unauthorized):"
                            + " the registration secret or enrolment token is not accepted", null);
                }
                registrations++;
                collectorId = Optional.of(collectorId.orElse("c-new"));
                return collectorId.get();
            }
        };
        Credentials credentials = new Credentials() {
            @Override
            public Optional<String> enrolmentToken() {
                return enrolmentToken;
            }

            @Override
            public Optional<String> registrationSecret() {
                return registrationSecret;
            }

            @Override
            public String tokenLocation() {
                return "/etc/pgfleet/enrolment-token (enrolment_token_file)";
            }
        };
        MetricSource metrics = new MetricSource() {
            @Override
            public void retarget(EffectiveConfig.PostgresTarget target) {
                targets.add(target);
            }

            @Override
            public List<Sample> collect(CollectorKind kind, EffectiveConfig config) throws PartlyCollected {
                collected.add(kind);
                Optional<Runnable> during = duringNextCollection;
                duringNextCollection = Optional.empty();
                during.ifPresent(Runnable::run);
                duringEachCollection.accept(kind);
                if (samplesPerRun < 0) {
                    throw new IllegalStateException(collectFailure);
                }
                List<Sample> out = new ArrayList<>();
                for (int i = 0; i < samplesPerRun; i++) {
                    out.add(new Sample("s_" + kind.key(), Map.of("n", Long.toString(sampleSeq++)), 1, scheduler.now()));
                }
                if (partly) {
                    throw new PartlyCollected(out, "collectors.disk_usage.paths: /mnt/gone does not exist");
                }
                return out;
            }

            @Override
            public Optional<String> unreachable(EffectiveConfig.PostgresTarget target) {
                reachAsked.add(target);
                duringEachReachCheck.accept(target);
                return Optional.ofNullable(unreachablePorts.get(target.port()));
            }

            @Override
            public Optional<io.pgfleet.domain.fleet.HostFacts.PostgresFacts> probe(EffectiveConfig.PostgresTarget target) {
                probed.add(target);
                duringEachProbe.accept(target);
                return Optional.ofNullable(databaseOnPort.get(target.port())).or(() -> database);
            }

            @Override
            public void close() {
            }
        };
        HostFiles host = new HostFiles() {
            @Override
            public Optional<String> realPath(String path) {
                filesAsked.add(path);
                return Optional.of(links.getOrDefault(path, path));
            }

            @Override
            public boolean readableFile(String path) {
                filesAsked.add(path);
                return readableFiles.contains(path);
            }

            @Override
            public boolean exists(String path) {
                filesAsked.add(path);
                return true;
            }

            @Override
            public boolean envSet(String name) {
                return true;
            }
        };
        LastKnownGoodStore store = new LastKnownGoodStore() {
            private Optional<Cached> kept = Optional.empty();

            @Override
            public Optional<Cached> lastKnownGood() {
                return kept;
            }

            @Override
            public void saveLastKnownGood(Cached cached) {
                if (!stateWritable) {
                    throw new java.io.UncheckedIOException("cannot write last-known-good.toml",
                            new java.io.IOException("No space left on device"));
                }
                kept = Optional.of(cached);
            }
        };
        TomlDocumentParser parser = new TomlDocumentParser();
        return new AgentCore(new AgentCore.Settings("test", "host", fileLabels, allow, bufferSamples),
                new AgentCore.Ports(source, report -> {
                    reportAttempts.add(report);
                    Optional<ServerException> refused = reportAnswer.apply(report);
                    if (refused.isPresent()) {
                        throw refused.get();
                    }
                    reports.add(report);
                    reportTimes.add(scheduler.now());
                }, sink, enroller, credentials, metrics, host, realStore.orElse(store),
                        document -> {
                            parses.merge(document, 1, Integer::sum);
                            if (parseRunsOutOfMemory.test(document)) {
                                throw new OutOfMemoryError("Java heap space");
                            }
                            return parser.parse(document);
                        }, scheduler, new java.util.Random(42), m -> {
                            logAt.putIfAbsent(m, scheduler.now());
                            log.add(m);
                        }, new SelfMetrics() {
                            @Override
                            public void pulled(PullResult result) {
                                selfMetrics.add("pull " + result.label());
                            }

                            @Override
                            public void applied(ApplyStatus status) {
                                selfMetrics.add("apply " + status);
                            }

                            @Override
                            public void collected(CollectorKind kind, Duration took, boolean ok) {
                                selfMetrics.add("collect " + kind.key() + (ok ? " ok" : " failed"));
                                collectionDurations.add(took);
                            }

                            @Override
                            public void pushed(PushResult result, int samples) {
                                selfMetrics.add("push " + result.label() + " " + samples);
                            }
                        }, new SampleSpool() {
                            @Override
                            public Loaded load(int most) {
                                return spoolLoad.get();
                            }

                            @Override
                            public void save(Unsent unsent) {
                                if (!stateWritable) {
                                    throw new java.io.UncheckedIOException("cannot write unsent-samples.jsonl",
                                            new java.io.IOException("No space left on device"));
                                }
                                spoolWrites++;
                                spooled = unsent;
                            }

                            @Override
                            public void clear() {
                                spooled = Unsent.NOTHING;
                            }
                        }));
    }

    /** Every sample stored, across batches (each batch id once). */
    List<Sample> storedSamples() {
        return stored.values().stream().flatMap(List::stream).toList();
    }

    boolean logged(String part) {
        return log.stream().anyMatch(l -> l.contains(part));
    }

    static RandomGenerator fixedRandom(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }
}
