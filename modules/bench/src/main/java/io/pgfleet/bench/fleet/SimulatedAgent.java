package io.pgfleet.bench.fleet;

import io.pgfleet.agent.core.AgentCore;
import io.pgfleet.agent.core.AllowLists;
import io.pgfleet.agent.core.ConfigSource;
import io.pgfleet.agent.core.Credentials;
import io.pgfleet.agent.core.Enroller;
import io.pgfleet.agent.core.HostFiles;
import io.pgfleet.agent.core.LastKnownGoodStore;
import io.pgfleet.agent.core.SampleSink;
import io.pgfleet.agent.core.ServerException;
import io.pgfleet.agent.core.StatusReporter;
import io.pgfleet.agent.transport.ServerClient;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.ValidationError;
import io.pgfleet.toml.TomlDocumentParser;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One agent of the fleet: the real {@link AgentCore} on the agent's real HTTP adapter
 * ({@link ServerClient}), with fake collectors, its identity and last-known-good configuration
 * in memory, on the shared scheduler. Counts the requests it makes, minute by minute.
 */
final class SimulatedAgent {

    private static final TomlDocumentParser PARSER = new TomlDocumentParser();
    /** A path the rollout scenario's bad version needs, which canary hosts do not have. */
    static final String NOT_ON_CANARIES = "/srv/not-on-canaries";

    /**
     * What sets an agent apart in a scenario.
     *
     * @param previousRelease it behaves as the previous release: reports configuration schema 1 and
     *                        refuses a document with a key of schema 2 ({@code pg_stat_statements})
     * @param canary          it carries {@code canary=true} and lacks {@link #NOT_ON_CANARIES}
     * @param extraLabels     labels besides {@code env} and {@code zone}
     */
    record Profile(boolean previousRelease, boolean canary, Map<String, String> extraLabels) {
        static final Profile PLAIN = new Profile(false, false, Map.of());
    }

    final int index;
    final String name;
    final Map<String, String> labels;
    final FakeCollectors metrics;
    final AgentCore core;
    final Profile profile;
    private final java.util.concurrent.atomic.AtomicLong runStart;
    private final AtomicIntegerArray perBucket;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong refreshes = new AtomicLong();
    private volatile String collectorId = "";
    private volatile Optional<LastKnownGoodStore.Cached> lastKnownGood = Optional.empty();
    private volatile boolean everLockedOut;

    /**
     * An agent.
     *
     * @param index          its number in the fleet
     * @param server         the server instance it talks to
     * @param secret         the fleet's registration secret, used when it has no enrolment token
     * @param enrolmentToken a one-time token issued for its collector id, if it enrols that way
     * @param skew           how far its clock is off
     * @param scheduler      the shared scheduler
     * @param buckets        how many buckets of request counts to keep
     * @param runStart       when the run started (bucket 0); requests before it are not counted by bucket
     * @param log            where its log lines go
     * @param profile        what sets it apart in the scenario
     */
    SimulatedAgent(int index, URI server, String secret, Optional<String> enrolmentToken, Duration skew,
                   SharedScheduler scheduler, int buckets, java.util.concurrent.atomic.AtomicLong runStart, Consumer<String> log,
                   Profile profile) {
        this.index = index;
        this.name = "sim-" + index;
        this.profile = profile;
        Map<String, String> l = new java.util.TreeMap<>(profile.extraLabels());
        l.put("env", index % 2 == 0 ? "prod" : "staging");
        l.put("zone", "z" + index % 3);
        if (profile.canary()) {
            l.put("canary", "true");
        }
        this.labels = Map.copyOf(l);
        this.runStart = runStart;
        this.perBucket = new AtomicIntegerArray(buckets);
        SharedScheduler.Lanes lanes = scheduler.lanes();
        this.metrics = new FakeCollectors(lanes::now, skew, index);
        Consumer<String> prefixed = m -> log.accept(name + " " + m);
        ServerClient client = new ServerClient(server, Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                (id, refresh) -> {
                    if (!collectorId.isEmpty()) {
                        refreshes.incrementAndGet();
                        count();
                    }
                    collectorId = id;
                }, prefixed);
        if (profile.previousRelease()) {
            client.reportingSchemaVersion(1);
        }
        Counted counted = new Counted(client);
        Credentials credentials = new Credentials() {
            @Override
            public Optional<String> enrolmentToken() {
                return enrolmentToken;
            }

            @Override
            public Optional<String> registrationSecret() {
                return Optional.of(secret);
            }

            @Override
            public String tokenLocation() {
                return "(simulated)";
            }
        };
        HostFiles host = new HostFiles() {
            @Override
            public boolean readableFile(String path) {
                return true;
            }

            @Override
            public Optional<String> realPath(String path) {
                return Optional.of(path);
            }

            @Override
            public boolean exists(String path) {
                return !(profile.canary() && path.equals(NOT_ON_CANARIES));
            }

            @Override
            public boolean envSet(String variable) {
                return true;
            }
        };
        LastKnownGoodStore store = new LastKnownGoodStore() {
            @Override
            public Optional<Cached> lastKnownGood() {
                return lastKnownGood;
            }

            @Override
            public void saveLastKnownGood(Cached cached) {
                lastKnownGood = Optional.of(cached);
            }
        };
        this.core = new AgentCore(new AgentCore.Settings(name, "host-" + index, labels, AllowLists.defaults(), 20_000),
                new AgentCore.Ports(counted, counted, counted, counted, credentials, metrics, host, store,
                        profile.previousRelease() ? SimulatedAgent::parseAsSchemaOne : PARSER::parse,
                        lanes, RandomGenerator.of("L64X128MixRandom"), prefixed));
    }

    /**
     * How an agent of the previous release reads a document: it does not know the keys of schema 2,
     * so a document with one is refused whole (and the core reports the version FAILED).
     */
    private static ParseOutcome parseAsSchemaOne(String text) {
        if (text.contains("pg_stat_statements")) {
            return new ParseOutcome.SyntaxErrors(List.of(new ValidationError(1, 1, "collectors.pg_stat_statements",
                    "unknown collector 'pg_stat_statements' (this agent knows configuration schema 1)")));
        }
        return PARSER.parse(text);
    }

    /** The collector id the server gave it; empty before registration. */
    String collectorId() {
        return collectorId;
    }

    /** Requests made so far (a 401 answered and retried after a refresh counts once, the refresh once). */
    long requests() {
        return requests.get();
    }

    /** Token refreshes so far. */
    long refreshes() {
        return refreshes.get();
    }

    /** Requests made in one bucket ({@link FleetSimulation#BUCKET_SECONDS}) of the run. */
    int requestsInBucket(int bucket) {
        return bucket < perBucket.length() ? perBucket.get(bucket) : 0;
    }

    /** Samples collected and not sent yet (the core's count, less the drop counter each pending batch carries). */
    long unsent() {
        return core.waitingSamples() - core.pendingBatches();
    }

    /** Whether the core was ever seen locked out. */
    boolean everLockedOut() {
        everLockedOut |= core.lockedOut();
        return everLockedOut;
    }

    private void count() {
        requests.incrementAndGet();
        long since = System.currentTimeMillis() - runStart.get();
        int bucket = (int) (since / (FleetSimulation.BUCKET_SECONDS * 1000L));
        if (since >= 0 && bucket < perBucket.length()) {
            perBucket.incrementAndGet(bucket);
        }
    }

    /** The adapter's ports, each call counted. */
    private final class Counted implements ConfigSource, StatusReporter, SampleSink, Enroller {
        private final ServerClient client;

        private Counted(ServerClient client) {
            this.client = client;
        }

        @Override
        public Fetch fetch(Request request) throws ServerException {
            count();
            return client.fetch(request);
        }

        @Override
        public void abortWatch() {
            client.abortWatch();
        }

        @Override
        public void report(Report report) throws ServerException {
            count();
            client.report(report);
        }

        @Override
        public void push(String batchId, List<Sample> samples) throws ServerException {
            count();
            client.push(batchId, samples);
        }

        @Override
        public Optional<String> collectorId() {
            return client.collectorId();
        }

        @Override
        public String register(Credential credential, String agentName, String hostname, Map<String, String> agentLabels)
                throws ServerException {
            count();
            return client.register(credential, agentName, hostname, agentLabels);
        }
    }
}
