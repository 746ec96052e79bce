package io.pgfleet.agent.core;

import io.pgfleet.domain.capability.CapabilityCheck;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.reload.ApplyDecision;
import io.pgfleet.domain.reload.ApplyPolicy;
import io.pgfleet.domain.reload.ConfigChange;
import io.pgfleet.domain.reload.PullPolicy;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.EffectiveConfig;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.domain.schema.ValidationError;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * The agent's behaviour, on ports only: it watches its configuration (long-polling from the first
 * request, {@code after} = the newest version it applied or saw fail), applies it by the domain's
 * hot-reload policy, carries out the resulting {@link ConfigChange} on its collectors, reports
 * every attempt, and pushes samples in batches that fit the server's limits. No thread, socket or
 * file of its own: a {@link Scheduler} runs it.
 */
public final class AgentCore {

    /** How long the server is asked to hold a watch. */
    public static final int WATCH_SECONDS = 25;
    /** Most samples in one push (the server accepts 5,000). */
    public static final int MAX_BATCH_SAMPLES = 1000;
    /** Most bytes of samples in one push, as {@link #jsonBytes} counts them (the server accepts 256 KiB). */
    public static final long MAX_BATCH_BYTES = 128 * 1024;
    /** How often a refused identity looks for a new enrolment token; it sends nothing meanwhile. */
    public static final Duration LOCKED_OUT_RECHECK = Duration.ofSeconds(60);
    /**
     * How often a refused registration secret is presented again unchanged: the server's secret may
     * have been changed by mistake and set back, and the hosts that tried meanwhile should heal by
     * themselves, at a pace that keeps the audit trail and the login limit quiet.
     */
    public static final Duration REFUSED_SECRET_RETRY = Duration.ofMinutes(15);
    /** The pause after a watch that came back at once with nothing new (a server not holding watches). */
    public static final Duration NO_PROGRESS_PAUSE = Duration.ofSeconds(5);
    /** How often one collector's failure is logged. */
    public static final Duration ERROR_LOG_EVERY = Duration.ofSeconds(60);
    /** The name of the sample that counts what was lost. */
    public static final String DROPPED_METRIC = "pgfleet_agent_dropped_samples_total";

    /**
     * Who this agent is and what its host allows.
     *
     * @param name       display name
     * @param hostname   host name
     * @param labels     labels
     * @param allowLists what a configuration may use on this host
     * @param bufferSamples most samples held while the server is away
     */
    public record Settings(String name, String hostname, Map<String, String> labels, AllowLists allowLists,
                           int bufferSamples) {
        /** Copies the labels. */
        public Settings {
            labels = Map.copyOf(labels);
            Objects.requireNonNull(allowLists, "allowLists");
        }
    }

    /**
     * The ports the core talks to.
     *
     * @param source      configuration
     * @param reporter    apply reports
     * @param sink        samples
     * @param enroller    identity
     * @param credentials enrolment secret or token on this host
     * @param metrics     collectors
     * @param host        file and environment checks
     * @param store       last-known-good configuration
     * @param parser      configuration documents
     * @param scheduler   time and timers
     * @param random      jitter
     * @param log         where the agent says what it does
     * @param self        the agent's own metrics ({@link SelfMetrics#NONE} when they are off)
     * @param spool       samples kept over a restart ({@link SampleSpool#NONE} to keep none)
     */
    public record Ports(ConfigSource source, StatusReporter reporter, SampleSink sink, Enroller enroller,
                        Credentials credentials, MetricSource metrics, HostFiles host, LastKnownGoodStore store,
                        DocumentParser parser, Scheduler scheduler, RandomGenerator random, Consumer<String> log,
                        SelfMetrics self, SampleSpool spool) {

        /** Checks the agent's own metrics and spool are given. */
        public Ports {
            Objects.requireNonNull(self, "self");
            Objects.requireNonNull(spool, "spool");
        }

        /**
         * The ports without a spool: samples not delivered when the agent stops are lost.
         *
         * @param source      configuration
         * @param reporter    apply reports
         * @param sink        samples
         * @param enroller    identity
         * @param credentials enrolment secret or token on this host
         * @param metrics     collectors
         * @param host        file and environment checks
         * @param store       last-known-good configuration
         * @param parser      configuration documents
         * @param scheduler   time and timers
         * @param random      jitter
         * @param log         where the agent says what it does
         * @param self        the agent's own metrics
         */
        public Ports(ConfigSource source, StatusReporter reporter, SampleSink sink, Enroller enroller,
                     Credentials credentials, MetricSource metrics, HostFiles host, LastKnownGoodStore store,
                     DocumentParser parser, Scheduler scheduler, RandomGenerator random, Consumer<String> log,
                     SelfMetrics self) {
            this(source, reporter, sink, enroller, credentials, metrics, host, store, parser, scheduler, random, log,
                    self, SampleSpool.NONE);
        }

        /**
         * The ports without the agent's own metrics.
         *
         * @param source      configuration
         * @param reporter    apply reports
         * @param sink        samples
         * @param enroller    identity
         * @param credentials enrolment secret or token on this host
         * @param metrics     collectors
         * @param host        file and environment checks
         * @param store       last-known-good configuration
         * @param parser      configuration documents
         * @param scheduler   time and timers
         * @param random      jitter
         * @param log         where the agent says what it does
         */
        public Ports(ConfigSource source, StatusReporter reporter, SampleSink sink, Enroller enroller,
                     Credentials credentials, MetricSource metrics, HostFiles host, LastKnownGoodStore store,
                     DocumentParser parser, Scheduler scheduler, RandomGenerator random, Consumer<String> log) {
            this(source, reporter, sink, enroller, credentials, metrics, host, store, parser, scheduler, random, log,
                    SelfMetrics.NONE);
        }
    }

    private record Batch(String id, List<Sample> samples) {
    }

    /** One collector's schedule; {@code generation} retires runs scheduled before a change. */
    private static final class Collection {
        private Duration interval;
        /** Whether it ran yet; until it has, {@link #lastStart} means nothing. */
        private boolean ran;
        /** When its last run began, on {@link Scheduler#nanoTime()}. */
        private long lastStart;
        private int generation;
        private Optional<Scheduler.Task> next = Optional.empty();

        private Collection(Duration interval) {
            this.interval = interval;
        }
    }

    private final Settings settings;
    private final Ports p;
    private final SampleBuffer buffer;
    private final Object collectionLock = new Object();
    private final Map<CollectorKind, Collection> collections = new EnumMap<>(CollectorKind.class);
    private final Deque<Batch> pending = new ArrayDeque<>();
    /** Each failing collector's runs in a row that failed; gone once a run succeeds (see {@link #collectionFailed}). */
    private final Map<CollectorKind, FailedRuns> failedRuns = new java.util.concurrent.ConcurrentHashMap<>();

    private volatile boolean running;
    /**
     * Set as {@link #stop()} begins: from then on a request or a collector run that ends (the agent's
     * threads are interrupted as it stops) ended because of the stop, not because the server or the
     * database failed, and is neither logged as a failure nor followed by another attempt.
     */
    private volatile boolean stopping;
    /** A push failed on the server's side after the stop began: the stop's last push is not made. */
    private volatile boolean serverFailedDuringStop;
    private volatile EffectiveConfig current = EffectiveConfig.defaults();
    private volatile boolean collecting;
    private volatile int appliedVersion;
    private volatile int failedVersion;
    private volatile boolean lockedOut;
    /**
     * Locked out because the collector was decommissioned: no enrolment token can re-bind its id,
     * so none is looked for and nothing is asked of the server until the agent restarts.
     */
    private volatile boolean decommissioned;
    private String etag = "";
    /** The document of the running version (from the server or the last-known-good), compared with the server's under the same number. */
    private String runningDocument = "";
    /**
     * Whether the running version came from the last-known-good copy (the server away at start-up)
     * and the server has not served it to this process yet: this process has told the server nothing
     * about it, and the last one's report may never have reached it.
     */
    private boolean runningFromCopy;
    /** The entity tag of the failed version, to tell it from another document the server may have under its number. */
    private String failedEtag = "";
    /**
     * A version the server said it has (in a 304) that is not the one this agent knows under that
     * number, or is below the agent's: asked for next (after the number below it), 0 for none.
     */
    private int reask;
    /** Whether the server has answered a pull yet: until it has, pulls are answered at once. */
    private boolean answered;
    /** Whether the last-known-good was tried (at the first pull the server did not answer). */
    private boolean lastKnownGoodTried;
    private final Object pushLock = new Object();
    /** Whether the spool holds samples (written since the last successful push, or left by the last run). */
    private boolean spooled;
    /**
     * When the spool was last written (on {@link Scheduler#nanoTime()}, meaningful while {@link #spooled}):
     * while the server stays away it is rewritten at most every {@link #SPOOL_EVERY}.
     */
    private long spooledAt;
    private int pullFailures;
    private int pushFailures;
    /** What the log says of failed pulls and pushes: a streak's first in full, its repeats once a minute. */
    private final OutageLog outage;
    /**
     * When the server last took something from this agent that it counts as hearing from it (a push
     * or an apply report), on {@link Scheduler#nanoTime()}: from it the push lane tells when an empty
     * push is due ({@link #heartbeat()}).
     */
    private volatile long lastDelivered;
    /** Whether a refused empty push was said (once: the next ones are refused alike). */
    private boolean heartbeatRefusedLogged;
    /** Written under the push lock, read by the metrics without it (a push may hold the lock for a long request). */
    private volatile long refusedDropped;
    private long loggedDrops;
    private Optional<String> triedToken = Optional.empty();
    /**
     * The credential a first registration presented and the server refused (a wrong secret; an
     * enrolment token used, expired or unknown): not sent again while the host still holds it, as
     * the same request is refused alike, but looked for every {@link #LOCKED_OUT_RECHECK}; forgotten
     * on {@link #pullNow()}, so a SIGHUP tries it once more (a secret corrected on the server's side).
     */
    private volatile Optional<Enroller.Credential> refusedCredential = Optional.empty();
    /** When {@link #refusedCredential} was last refused ({@code nanoTime} of the scheduler). */
    private volatile long refusedAt;
    /** Guards {@link #pendingReport} and {@link #lastReport}: the pull and facts lanes both report. */
    private final Object reportLock = new Object();
    private Optional<StatusReporter.Report> pendingReport = Optional.empty();
    /** The last report made (sent or pending), which fresh facts are sent again with. */
    private Optional<StatusReporter.Report> lastReport = Optional.empty();

    /**
     * One read of what a monitored database offers.
     *
     * @param target  the database read
     * @param facts   what it offers, empty when it could not be reached or read
     * @param request the newest {@link #refreshFacts} request the read answers
     */
    private record FactsRead(EffectiveConfig.PostgresTarget target, Optional<HostFacts.PostgresFacts> facts,
                             long request) {
    }

    /**
     * One check, on the facts lane, that the database a version points at can be reached.
     *
     * @param target  the database the version points at
     * @param from    the database of the version running when it was asked for
     * @param cutOff  why {@code target} cannot be reached while {@code from} can (PostgreSQL's or the
     *                driver's words); empty when it can be reached, neither can, or it is unknown
     * @param request the {@link #refreshFacts} request the check answers
     */
    private record ReachCheck(EffectiveConfig.PostgresTarget target, EffectiveConfig.PostgresTarget from,
                              Optional<String> cutOff, long request) {
    }

    /**
     * What the facts lane is asked to do next.
     *
     * @param target the database to read the facts of
     * @param from   when present, first check that {@code target} can be reached, as a version
     *               moving the collectors there from this database needs ({@link ReachCheck})
     */
    private record Wanted(EffectiveConfig.PostgresTarget target, Optional<EffectiveConfig.PostgresTarget> from) {
    }

    /**
     * A version held, the running one going on, until the facts lane answers a request made for it
     * ({@code request} or a later one), then decided on the pull lane: one the facts last read say the
     * database cannot serve (stale facts must not fail a version for good), or one that points the
     * collectors at another database, which is checked to be reachable first.
     */
    private record Awaiting(int version, String document, String etag, long request) {
    }

    /**
     * A read of the running database's facts that a held version's read or check took the place of,
     * made after it ({@link #want}).
     *
     * @param target  the database read
     * @param request the request it answers
     */
    private record PutAside(EffectiveConfig.PostgresTarget target, long request) {
    }

    /**
     * The last reads of monitored databases' facts, one per database, two at most: the newest, and the
     * running database's (or, when the newest is of that one, the one read before). A held version's
     * read of its database then neither erases the facts the running version's reports carry, nor is
     * erased for that version's decision by a read of the running database made right after it.
     * Written on the facts lane only (never on an apply's path).
     */
    private volatile List<FactsRead> lastReads = List.of();
    /** The facts request made when the running version was applied: reads older than it are not reported. */
    private volatile long runningSince;
    private final Object factsLock = new Object();
    /** The last check that a version's database can be reached (on the facts lane, never on the pull lane). */
    private volatile Optional<ReachCheck> lastReach = Optional.empty();
    /** The newest request the facts lane answered (read or checked, whatever it found). */
    private volatile long factsAnswered;
    /** What to read or check next, when asked for; guarded by factsLock (one at most, the newest: no queue). */
    private Optional<Wanted> factsWanted = Optional.empty();
    /**
     * The read of the running database a held version's read or check took the place of (one at most),
     * made once {@link #factsWanted} is; guarded by factsLock.
     */
    private Optional<PutAside> putAside = Optional.empty();
    /** Whether a read is scheduled or under way; guarded by factsLock. */
    private boolean factsReading;
    /** Requests for a read so far; guarded by factsLock. */
    private long factsRequests;
    /** The version held for the facts lane's answer, if any. */
    private volatile Optional<Awaiting> awaiting = Optional.empty();
    /** The version (number and tag) last said to be held for the check of its database. */
    private String reachHeldLogged = "";
    /** What the running version lacks by the facts last read, as last logged (said once per change). */
    private volatile String lackingLogged = "";
    private Optional<Scheduler.Task> pullTask = Optional.empty();
    private boolean pulling;
    /** Whether {@link #pullNow()} came during the pull in progress: the next one follows at once. */
    private boolean pullAgain;
    private Optional<Scheduler.Task> pushTask = Optional.empty();

    /**
     * A core.
     *
     * @param settings who it is
     * @param ports    what it talks to
     */
    public AgentCore(Settings settings, Ports ports) {
        this.settings = settings;
        this.p = ports;
        this.buffer = new SampleBuffer(settings.bufferSamples());
        this.outage = new OutageLog(this::log, () -> p.scheduler().nanoTime(), () -> p.scheduler().now());
    }

    /** Starts pulling and pushing; returns at once. */
    public void start() {
        restoreSpooled();
        lastDelivered = p.scheduler().nanoTime();
        running = true;
        log("starting, " + p.enroller().collectorId().map(id -> "collector " + id).orElse("not registered yet")
                + "; this host allows passwords from " + settings.allowLists().passwordDirs() + " and "
                + settings.allowLists().passwordEnv() + ", connections to " + settings.allowLists().hosts());
        schedulePull(Duration.ZERO);
        schedulePush(current.pushInterval());
    }

    /**
     * Asks for the configuration now (SIGHUP), and so looks for a new enrolment token now. Between
     * pulls the next one is due at once. During a pull the lane pulls again as soon as it ends, and
     * a watch in progress is ended at once ({@link ConfigSource#abortWatch()}): that is neither an
     * answer nor a failure, so no back-off follows. Any number of calls during one pull make one
     * pull after it. Once a version runs, the monitored database's facts are read again too, on
     * their own lane. Returns at once.
     */
    public void pullNow() {
        // Said before the pull it brings, which may begin at once on its own lane.
        log("SIGHUP: pulling the configuration now");
        refusedCredential = Optional.empty();
        wake();
        if (appliedVersion > 0) {
            // The operator's way to have the database's facts read again (an extension created since
            // the last apply) without publishing: read on their own lane, sent to the server when new.
            refreshFacts(current.postgres());
        }
    }

    /** Pulls now, or right after the pull in progress (ending a watch); see {@link #pullNow()}. */
    private void wake() {
        synchronized (this) {
            if (!pulling) {
                schedulePull(Duration.ZERO);
            } else if (!pullAgain) {
                // A second SIGHUP in the same pull has nothing more to end. (abortWatch returns at
                // once and calls nothing back, so it is called under the lock.)
                pullAgain = true;
                p.source().abortWatch();
            }
        }
    }

    // ---- pull, watch, apply ---------------------------------------------------------------------

    private synchronized void schedulePull(Duration delay) {
        pullTask.ifPresent(Scheduler.Task::cancel);
        if (running && !stopping) {
            pullTask = Optional.of(p.scheduler().schedule(Scheduler.Lane.PULL, delay, this::pull));
        }
    }

    private void pull() {
        if (!running || stopping) {
            return;
        }
        synchronized (this) {
            pulling = true;
        }
        // Whatever escapes a pull (an Error such as OutOfMemoryError included) must not end the
        // lane: the next pull is scheduled in any case, after a failure's pause when it did not end.
        Duration pause = PullPolicy.afterFailure(pullFailures + 1, current.pullInterval(), p.random());
        try {
            pause = pullOnce();
        } catch (RuntimeException | Error e) {
            pullFailures++;
            if (!stopping) {
                log("configuration pull failed: " + e + "; next attempt in " + pause.toMillis() + " ms");
            }
        } finally {
            synchronized (this) {
                pulling = false;
                if (pullAgain) {
                    // Asked for during this pull: whatever it came to, the operator wants one now.
                    pullAgain = false;
                    pause = Duration.ZERO;
                }
            }
            schedulePull(pause);
        }
    }

    private Duration pullOnce() {
        try {
            if (!identity()) {
                return LOCKED_OUT_RECHECK;
            }
            resumeAwaiting();
            EffectiveConfig config = current;
            // The first answer comes at once (the configuration, or none yet: the defaults run);
            // from then on every request is a watch the server holds until something is newer.
            boolean watch = config.watch() && answered;
            // A version held for fresh facts is not asked for again meanwhile (the server would answer it at once).
            int after = Math.max(Math.max(appliedVersion, failedVersion), awaiting.map(Awaiting::version).orElse(0));
            String tag = etag;
            int announced = reask;
            if (announced > 0) {
                // The version the server announced, itself: asked after the number below it (never an
                // overflow: versions are at least 1), without a tag that would turn it into a 304.
                after = announced - 1;
                tag = "";
            }
            // Measured on the monotonic clock: a wall clock stepped forward during a watch answered at
            // once would make it look held, and the pause below would never come.
            long asked = p.scheduler().nanoTime();
            ConfigSource.Fetch fetch = p.source().fetch(new ConfigSource.Request(tag, watch ? WATCH_SECONDS : 0, after));
            if (fetch instanceof ConfigSource.Fetch.Aborted) {
                // Ended by pullNow, which pulls again at once: no answer to learn from, no failure to
                // back off from (the failure count and the last-known-good stay as they are).
                return Duration.ZERO;
            }
            answered = true;
            reask = 0;
            flushReport();
            boolean progress = handle(fetch, after, announced);
            // Only an answer handled ends a run of failures: one that fails while it is handled (an
            // Error that pull() catches, a RuntimeException below) is one more failure in a row, and
            // the pause after it grows instead of starting again from the shortest.
            pullFailures = 0;
            outage.succeeded(OutageLog.Lane.PULL, () -> "");
            p.self().pulled(progress ? SelfMetrics.PullResult.NEW_VERSION : SelfMetrics.PullResult.UNCHANGED);
            // What runs now decides the next pull: a version that turned watching on watches at once,
            // one that turned it off (or changed the interval) waits its own interval, not the old one's.
            EffectiveConfig running = current;
            if (!running.watch()) {
                return PullPolicy.jittered(running.pullInterval(), p.random());
            }
            if (!watch) {
                return Duration.ZERO;
            }
            if (!progress && since(asked).compareTo(Duration.ofSeconds(1)) < 0) {
                // A watch that returns at once with nothing new (a proxy cutting it, a server not
                // holding it) would otherwise make this a busy loop.
                return PullPolicy.jittered(NO_PROGRESS_PAUSE, p.random());
            }
            return Duration.ZERO;
        } catch (ServerException e) {
            if (stopping) {
                // Ended by the stop (the watch aborted, the lane interrupted): nothing was said about the
                // server, and no next attempt follows.
                return Duration.ZERO;
            }
            pullFailures++;
            if (e.kind() == ServerException.Kind.IDENTITY_REFUSED || e.kind() == ServerException.Kind.DECOMMISSIONED) {
                p.self().pulled(SelfMetrics.PullResult.REFUSED);
                lockOut(e);
                if (!answered) {
                    // A locked-out agent keeps collecting, after a restart too.
                    useLastKnownGood("the server refuses this agent's identity");
                }
                // A token put in place before the agent (re)started is tried now, not a minute later.
                return tokenWaiting() ? Duration.ZERO : LOCKED_OUT_RECHECK;
            }
            p.self().pulled(SelfMetrics.PullResult.ERROR);
            if (!answered) {
                useLastKnownGood(e.kind() == ServerException.Kind.UNAVAILABLE
                        ? "the server cannot be reached (" + e.getMessage() + ")"
                        : "the server does not answer with a configuration (" + e.getMessage() + ")");
            }
            Duration pause = PullPolicy.honouring(PullPolicy.afterFailure(pullFailures, current.pullInterval(), p.random()),
                    e.retryAfter(), p.random());
            outage.failed(OutageLog.Lane.PULL, e,
                    (e.kind() == ServerException.Kind.UNAVAILABLE ? "server unreachable" : "refused by the server")
                            + " (" + e.getMessage() + "); next attempt in " + pause.toMillis() + " ms", "");
            return pause;
        } catch (RuntimeException e) {
            if (stopping) {
                return Duration.ZERO;
            }
            pullFailures++;
            p.self().pulled(SelfMetrics.PullResult.ERROR);
            Duration pause = PullPolicy.afterFailure(pullFailures, current.pullInterval(), p.random());
            log("configuration pull failed: " + e.getMessage() + "; next attempt in " + pause.toMillis() + " ms");
            return pause;
        }
    }

    /** Whether the agent has a usable identity; registers or re-enrols when it can. */
    private boolean identity() throws ServerException {
        Optional<String> id = p.enroller().collectorId();
        if (id.isPresent() && !lockedOut) {
            return true;
        }
        Optional<String> token = p.credentials().enrolmentToken();
        if (id.isPresent()) {
            // Locked out: only a token not tried yet is worth a request; nothing else is sent.
            if (decommissioned || token.isEmpty() || token.equals(triedToken)) {
                return false;
            }
            Optional<String> before = triedToken;
            triedToken = token;
            try {
                register(new Enroller.Credential.Token(token.get()));
            } catch (ServerException e) {
                if (e.kind() == ServerException.Kind.UNAVAILABLE) {
                    // The server never saw the token (unreachable, or a proxy's page answered): it is
                    // still unused, so it is tried again after the pull's back-off, not given up.
                    triedToken = before;
                    throw new ServerException(e.kind(), "the enrolment token did not reach the server ("
                            + e.getMessage() + "); it is kept and tried again", e, e.retryAfter());
                }
                log("the enrolment token was not accepted (" + e.getMessage() + "): used already or expired;"
                        + " waiting for another one (pgfleet collectors enrol " + id.get() + ") in "
                        + p.credentials().tokenLocation());
                return false;
            }
            lockedOut = false;
            log("re-enrolled: collector " + id.get() + " is this agent's again; its configuration and labels are kept");
            return true;
        }
        Enroller.Credential credential = token.<Enroller.Credential>map(Enroller.Credential.Token::new)
                .or(() -> p.credentials().registrationSecret().map(Enroller.Credential.Secret::new))
                .orElseThrow(() -> new IllegalStateException(
                        "not registered and neither registration_secret_file nor enrolment_token_file is set"));
        if (refusedCredential.filter(credential::equals).isPresent()
                && !(credential instanceof Enroller.Credential.Secret
                        && p.scheduler().nanoTime() - refusedAt >= REFUSED_SECRET_RETRY.toNanos())) {
            // Refused as it stands: nothing is sent until the file holds another one (or a SIGHUP). A
            // used token never becomes good again; a secret may, when the server's is set back, so it
            // is presented again now and then (each refusal is audited and counts against the login limit).
            return false;
        }
        triedToken = token;
        String registered;
        try {
            registered = register(credential);
        } catch (ServerException e) {
            if (e.kind() != ServerException.Kind.UNAUTHORIZED) {
                throw e;
            }
            boolean again = refusedCredential.filter(credential::equals).isPresent();
            refusedCredential = Optional.of(credential);
            refusedAt = p.scheduler().nanoTime();
            if (!again) {
                registrationRefused(credential, e);
            }
            if (!answered) {
                useLastKnownGood("the server refuses this agent's registration");
            }
            return false;
        }
        refusedCredential = Optional.empty();
        // An enrolment token names a collector the operator made: its name and labels are the
        // operator's, and the server ignores this file's. Said here, or an operator wonders why the
        // fleet view does not show the labels the file sets.
        log("registered as collector " + registered);
        if (credential instanceof Enroller.Credential.Token && !settings.labels().isEmpty()) {
            log("enrolled with a token: collector " + registered + " keeps the name and labels it was given on the"
                    + " server; this file's labels " + new java.util.TreeMap<>(settings.labels()) + " are not used"
                    + " (change them on the server: pgfleet collectors label)");
        }
        return true;
    }

    /**
     * Says, once per credential refused, what the server answered and what the operator must do: the
     * server's detail names both credentials alike (it does not tell a caller which was wrong), but
     * the agent knows which one it presented.
     */
    private void registrationRefused(Enroller.Credential credential, ServerException e) {
        p.self().pulled(SelfMetrics.PullResult.REFUSED);
        String todo = switch (credential) {
            case Enroller.Credential.Token t -> "the enrolment token in " + p.credentials().tokenLocation()
                    + " was used already (by this host before its state directory was lost, or by another),"
                    + " has expired, or its collector was decommissioned. An operator issues a new one for that"
                    + " collector (pgfleet collectors enrol ID, or POST /api/v1/collectors/{id}/enrolment-token;"
                    + " for a decommissioned one, create a new collector first) and writes it there";
            case Enroller.Credential.Secret s -> "the registration secret in the file named by"
                    + " registration_secret_file is not the server's. Write the server's registration secret"
                    + " (PGFLEET_REGISTRATION_SECRET on the server) into that file, or give this host an"
                    + " enrolment token (enrolment_token_file)";
        };
        log(e.getMessage() + ": " + todo + ". The agent keeps collecting but sends nothing until then: it"
                + " presents no credential the server refused again, reads the file every "
                + LOCKED_OUT_RECHECK.toSeconds() + " s and registers as soon as it holds another one (a SIGHUP"
                + " tries at once, also the same one again"
                + (credential instanceof Enroller.Credential.Secret
                        ? "; the same secret is presented again every " + REFUSED_SECRET_RETRY.toMinutes() + " minutes"
                        : "") + ")");
    }

    private String register(Enroller.Credential credential) throws ServerException {
        return p.enroller().register(credential, settings.name(), settings.hostname(), settings.labels());
    }

    /** Whether an enrolment token this agent has not tried yet is in place. */
    private boolean tokenWaiting() {
        Optional<String> token = p.credentials().enrolmentToken();
        return !decommissioned && token.isPresent() && !token.equals(triedToken);
    }

    private void lockOut(ServerException e) {
        boolean already = lockedOut;
        lockedOut = true;
        String id = p.enroller().collectorId().orElse("?");
        if (e.kind() == ServerException.Kind.DECOMMISSIONED && !decommissioned) {
            // Not the re-enrolment advice: the server never issues a token for this id again.
            decommissioned = true;
            log("collector " + id + " was decommissioned; the server says: " + e.getMessage() + ". No enrolment"
                    + " token can bring this id back, so the agent stops asking the server (it sends nothing until"
                    + " it is restarted) and keeps collecting locally. To bring this host back, register it under a"
                    + " new id: stop the agent, delete identity.properties in its state directory, and start it with"
                    + " registration_secret_file, or with the enrolment token of a new collector in "
                    + p.credentials().tokenLocation());
            return;
        }
        if (already) {
            return;
        }
        String why = e.getMessage();
        log("the server refuses this agent's identity for good (" + why + "): collector " + id
                + " was revoked, or the server does not know it (restored from an older backup). The agent keeps"
                + " collecting but sends nothing until an operator re-binds it: POST /api/v1/collectors/" + id
                + "/enrolment-token, then put the token in " + p.credentials().tokenLocation()
                + "; the agent looks for it every " + LOCKED_OUT_RECHECK.toSeconds()
                + " s and keeps its collector id, configuration and labels");
        if (tokenWaiting()) {
            log("an enrolment token this agent has not tried is in " + p.credentials().tokenLocation()
                    + ": trying it now");
            // Refused on the push lane: the pull lane re-enrols now. Within a pull, that pull returns at once.
            synchronized (this) {
                if (!pulling) {
                    schedulePull(Duration.ZERO);
                }
            }
        }
    }

    /**
     * At the first pull the server did not answer: runs the last-known-good copy, or, when there is
     * none that can be used, the defaults, so that collection goes on while the server is away (the
     * samples wait in the buffer, and the spool, until it takes them).
     */
    private void useLastKnownGood(String situation) {
        if (lastKnownGoodTried || appliedVersion > 0) {
            return;
        }
        // Once: a copy that cannot be used now will not become usable while the server is away.
        lastKnownGoodTried = true;
        Optional<LastKnownGoodStore.Cached> cached;
        try {
            cached = p.store().lastKnownGood();
        } catch (LastKnownGoodStore.UnusableCopy e) {
            ignoreLastKnownGood(e.version(), e.getMessage());
            cached = Optional.empty();
        } catch (RuntimeException e) {
            ignoreLastKnownGood(java.util.OptionalInt.empty(), String.valueOf(e.getMessage()));
            cached = Optional.empty();
        }
        if (cached.isPresent()) {
            log(situation + " at start-up; running on the last-known-good configuration, version "
                    + cached.get().version());
            try {
                apply(cached.get().version(), cached.get().document(), "", false);
            } catch (RuntimeException e) {
                // Whatever the copy makes the parser or validator throw, it is the copy's fault.
                refuse(cached.get().version(), String.valueOf(e.getMessage()), false, "");
            }
        }
        if (appliedVersion == 0 && !collecting) {
            log(situation + " and no last-known-good configuration can be used: collecting with the defaults until"
                    + " it answers");
            switchTo(EffectiveConfig.defaults());
        }
    }

    /** Says once why the kept copy is not used, as for a copy the host refuses ({@link #refuse}). */
    private void ignoreLastKnownGood(java.util.OptionalInt version, String why) {
        log("the last-known-good configuration" + (version.isPresent() ? " (version " + version.getAsInt() + ")" : "")
                + " cannot be used: " + why + "; it is ignored as if there were none"
                + (version.isPresent() ? ", and version " + version.getAsInt() + " is applied if the server sends it" : ""));
    }

    /**
     * Handles an answer to a request sent with {@code after} (0 for none), made for the version the
     * server announced ({@code announced}, 0 for none); true when it moved the agent on (a version
     * applied or failed).
     */
    private boolean handle(ConfigSource.Fetch fetch, int after, int announced) {
        switch (fetch) {
            case ConfigSource.Fetch.NotModified nm -> {
                compare(nm);
                startWithDefaultsIfIdle();
                return false;
            }
            case ConfigSource.Fetch.NoConfiguration none -> {
                startWithDefaultsIfIdle();
                return false;
            }
            case ConfigSource.Fetch.Aborted aborted -> {
                // Not an answer (pullOnce returns before handling one): it moves nothing.
                return false;
            }
            case ConfigSource.Fetch.Fetched f -> {
                if (awaiting.filter(a -> a.version() == f.version() && a.document().equals(f.document())).isPresent()) {
                    // Asked again while it waits for fresh facts (a poll): decided once they are read.
                    return false;
                }
                Optional<String> otherHistory = otherHistory(f, after, announced);
                if (otherHistory.isPresent()) {
                    adopt(f, otherHistory.get());
                    return true;
                }
                if (runningFromCopy && f.version() == appliedVersion && f.document().equals(runningDocument)) {
                    // The server serves the version the copy holds: nothing to apply, nothing skipped
                    // (a "skipped" line here read as if the agent refused the server's latest). The
                    // server is told what runs, as after an apply: the report of the process that
                    // applied it may have been lost with that process while the server was away.
                    runningFromCopy = false;
                    etag = f.etag();
                    report(f.version(), ApplyStatus.APPLIED, "");
                    log("the server answers again: version " + f.version() + ", run from the last-known-good copy"
                            + " since the start, is its latest");
                    return false;
                }
                ApplyDecision d = ApplyPolicy.decide(appliedVersion, failedVersion, f.version());
                switch (d) {
                    case ApplyDecision.Apply a -> {
                        apply(f.version(), f.document(), f.etag(), true);
                        return true;
                    }
                    case ApplyDecision.Skip s -> {
                        if (f.version() == appliedVersion) {
                            etag = f.etag();
                        }
                        log("skipped configuration version " + f.version() + ": " + s.reason());
                        return false;
                    }
                }
            }
        }
    }

    /**
     * Why a version from the server is not one of this agent's history, if it is not: the server
     * answered a version older than the one the agent asked after (a server checks that against its
     * database first: its history is behind the agent's, restored from an older backup), or the
     * version the agent runs or saw fail has another document on the server now (a restored server
     * published anew under numbers the agent had seen), or the server's older version the agent asked
     * for after a 304 named it.
     */
    private Optional<String> otherHistory(ConfigSource.Fetch.Fetched f, int after, int announced) {
        int v = f.version();
        int known = Math.max(appliedVersion, failedVersion);
        if (v < after) {
            return Optional.of("the server's latest configuration is version " + v + ", older than version " + after
                    + " this agent has");
        }
        if (v == appliedVersion && !f.document().equals(runningDocument)) {
            return Optional.of("the server's version " + v + " is another document than the version " + v
                    + " this agent runs");
        }
        if (v == failedVersion && !failedEtag.isEmpty() && !f.etag().equals(failedEtag)) {
            return Optional.of("the server's version " + v + " is another document than the version " + v
                    + " that failed here");
        }
        if (announced > 0 && v >= announced && v < known) {
            return Optional.of("the server's latest configuration is version " + v + ", older than version "
                    + known + " this agent has");
        }
        return Optional.empty();
    }

    /**
     * Applies the server's version although its number is not newer than this agent's: the server
     * is the authority on what the collector should run (it is authenticated, and an operator
     * restored it). The numbers this agent knew belong to a history the server no longer has, so
     * they are forgotten: the agent then asks after the server's version and takes every later one,
     * and a version that failed here under the old history is not skipped under the new.
     */
    private void adopt(ConfigSource.Fetch.Fetched f, String why) {
        log(why + " (the server was restored from an older backup, or its data replaced): the server's version is"
                + " authoritative, applying version " + f.version());
        appliedVersion = 0;
        failedVersion = 0;
        failedEtag = "";
        etag = "";
        apply(f.version(), f.document(), f.etag(), true);
    }

    /**
     * Compares the revision a 304 says the server has with what this agent knows under its number.
     * The same revision (by its tag) that the agent runs: numbers the agent saw fail above it are of
     * a history the server no longer has, and asking after them would only be answered at once again.
     * Another document under a number the agent knows, or a version below the agent's: the agent asks
     * for it next, and applies it.
     */
    private void compare(ConfigSource.Fetch.NotModified nm) {
        int v = nm.version();
        if (v == 0 || nm.etag().isEmpty()) {
            return;
        }
        if (v == appliedVersion && nm.etag().equals(etag)) {
            if (failedVersion > v) {
                log("the server's latest configuration is version " + v + ", the one this agent runs; version "
                        + failedVersion + ", which failed here, is not in its history any more (the server was restored"
                        + " from an older backup, or its data replaced)");
                failedVersion = 0;
                failedEtag = "";
            }
            return;
        }
        if (v == failedVersion && nm.etag().equals(failedEtag)) {
            return;
        }
        if (awaiting.filter(a -> a.version() == v && a.etag().equals(nm.etag())).isPresent()) {
            return;
        }
        if (v <= Math.max(appliedVersion, failedVersion)) {
            reask = v;
        }
    }

    private void startWithDefaultsIfIdle() {
        if (!collecting && appliedVersion == 0) {
            log(failedVersion == 0 ? "no configuration published for this collector yet; collecting with the defaults"
                    : "no configuration applied yet (version " + failedVersion + " failed); collecting with the defaults");
            switchTo(EffectiveConfig.defaults());
        }
    }

    private void apply(int version, String document, String newEtag, boolean fromServer) {
        apply(version, document, newEtag, fromServer, Long.MAX_VALUE);
    }

    /**
     * Applies a version; facts read for {@code freshFrom} or a later request are taken as read for
     * this apply (a version held for them), older ones as possibly stale.
     */
    private void apply(int version, String document, String newEtag, boolean fromServer, long freshFrom) {
        // Whatever was held for fresh facts is decided now, or superseded by this version.
        awaiting = Optional.empty();
        Optional<EffectiveConfig> checked;
        try {
            checked = check(version, document, newEtag, fromServer, freshFrom);
        } catch (Error e) {
            // Parsing, validating and checking a version are the work that grows with its document: an
            // Error there (the heap exhausted by a document too large for it, above all) is the
            // version's failure, reported once and never retried like any invalid version's, not a
            // failed pull that would fetch and parse the same document again and again. Nothing of
            // the version runs yet: what ran before runs on.
            refuse(version, failedWith(version, e), fromServer, newEtag);
            return;
        }
        if (checked.isEmpty()) {
            return;
        }
        EffectiveConfig next = checked.get();
        boolean firstRun = !collecting;
        // Facts read before this apply are not reported for it (they may be stale); a read asked for
        // now, on its own lane, says what the database offers, and the report is sent again with it.
        runningSince = refreshFacts(next.postgres());
        String described = switchTo(next);
        appliedVersion = version;
        runningDocument = document;
        runningFromCopy = !fromServer;
        p.self().applied(ApplyStatus.APPLIED);
        if (fromServer) {
            etag = newEtag;
            try {
                p.store().saveLastKnownGood(new LastKnownGoodStore.Cached(version, document));
            } catch (RuntimeException e) {
                // A full or read-only state directory costs the fallback for the next start-up
                // without the server, not the report: the version does run.
                log("could not keep version " + version + " as the last-known-good configuration (" + e.getMessage()
                        + (e.getCause() != null ? ": " + e.getCause().getMessage() : "")
                        + "); it runs, but a start-up without the server would not find it");
            }
            report(version, ApplyStatus.APPLIED, "");
        }
        // "Without a restart" is the promise of a hot reload; the first version a process runs is
        // applied as it starts, and saying otherwise misleads whoever reads the log to learn whether it restarted.
        log("applied configuration version " + version + (firstRun ? " at start: " + describe(next)
                : " without a restart: " + described));
    }

    /**
     * Whether a version may cut this agent off the PostgreSQL it monitors: it points the PostgreSQL
     * collectors at another target (host, port, user, password source, databases or sslmode) than the
     * running version, both versions run a PostgreSQL collector, and a real version runs (from the
     * server or the last-known-good), never the defaults. Such a version is applied only once the
     * facts lane checked the new target ({@link #reach}): the most common bad configuration — a wrong
     * port or password — is then refused like an invalid one (reported {@code FAILED}, not retried, a
     * staged rollout rolls it back) instead of applied and reported {@code APPLIED} while every
     * PostgreSQL collector fails.
     */
    private boolean mayCutOff(EffectiveConfig next) {
        return appliedVersion > 0 && collecting && !next.postgres().equals(current.postgres())
                && monitorsPostgres(next) && monitorsPostgres(current);
    }

    /** Why a version is refused when its target cannot be reached while the running one can. */
    private String cutOff(EffectiveConfig.PostgresTarget target, EffectiveConfig.PostgresTarget now, String why) {
        return "the agent cannot reach PostgreSQL with this configuration (" + target.host() + ":" + target.port()
                + " as " + target.user() + ": " + why + "), while the running version " + appliedVersion + " reaches "
                + now.host() + ":" + now.port() + "; publish a configuration whose [postgres] settings reach the"
                + " database (or publish it once that database answers)";
    }

    private Optional<String> unreachable(EffectiveConfig.PostgresTarget target) {
        try {
            return p.metrics().unreachable(target);
        } catch (RuntimeException e) {
            // Unknown is not unreachable: the version is not refused on a guess.
            return Optional.empty();
        }
    }

    private static boolean monitorsPostgres(EffectiveConfig c) {
        return java.util.Arrays.stream(io.pgfleet.domain.schema.CollectorKind.values())
                .filter(k -> k.key().startsWith("pg_"))
                .anyMatch(k -> c.schedule(k).enabled());
    }

    /**
     * Parses, validates and checks a version against this host; refuses it (and answers empty) when
     * it cannot run here.
     */
    private Optional<EffectiveConfig> check(int version, String document, String newEtag, boolean fromServer,
                                            long freshFrom) {
        Validation v = ConfigValidator.validateBounded(p.parser().parse(document));
        if (v instanceof Validation.Invalid invalid) {
            refuse(version, "the document is invalid: " + invalid.errors().stream().map(ValidationError::toString)
                    .collect(Collectors.joining("; ")), fromServer, newEtag);
            return Optional.empty();
        }
        EffectiveConfig next = ((Validation.Valid) v).effective();
        Optional<String> problem = hostProblem(next);
        if (problem.isPresent()) {
            refuse(version, problem.get(), fromServer, newEtag);
            return Optional.empty();
        }
        // What the database offers decides whether the collectors the version enables can run here. The
        // apply never waits for the database (one that stalls would hold it, and the pull lane, for the
        // driver's 30 s): it goes by the facts last read of that same database, none when there are none.
        Optional<FactsRead> read = lastRead(next.postgres());
        Optional<HostFacts.PostgresFacts> facts = read.flatMap(FactsRead::facts);
        // Facts read of the new database say it answers. Without them, a version moving the collectors
        // there is checked to reach it first, on the facts lane: a target that logs the agent in and then
        // answers nothing holds that check for the driver's 30 s, and it must not hold the pull lane (nor
        // watches, newer versions, reports). The version is held meanwhile, the running one goes on. (A
        // copy from disk never gets here: it is applied only while no version runs.)
        if (fromServer && facts.isEmpty() && mayCutOff(next)) {
            EffectiveConfig.PostgresTarget now = current.postgres();
            Optional<ReachCheck> reached = lastReach.filter(r -> r.target().equals(next.postgres())
                    && r.from().equals(now) && r.request() >= freshFrom);
            if (reached.isEmpty()) {
                hold(version, document, newEtag, new Wanted(next.postgres(), Optional.of(now)));
                String held = version + " " + newEtag;
                if (!held.equals(reachHeldLogged)) {
                    // Said once: held again only when a SIGHUP's read took the place of its check.
                    reachHeldLogged = held;
                    log("version " + version + " points the PostgreSQL collectors at another database ("
                            + next.postgres().host() + ":" + next.postgres().port() + " as " + next.postgres().user()
                            + "); checking that the agent can reach it before deciding, version " + appliedVersion
                            + " runs meanwhile");
                }
                return Optional.empty();
            }
            if (reached.get().cutOff().isPresent()) {
                refuse(version, cutOff(next.postgres(), now, reached.get().cutOff().get()), fromServer, newEtag);
                return Optional.empty();
            }
        }
        List<CapabilityGap> lacking = facts.map(pg -> CapabilityCheck.requirements(next, pg)).orElse(List.of());
        if (!lacking.isEmpty()) {
            String why = lacking.stream().map(CapabilityGap::toString).collect(Collectors.joining("; "));
            if (fromServer && read.get().request() < freshFrom) {
                // Facts read before this version arrived may be stale (an extension created since): a
                // version is failed for good only on facts read for it. Held, not applied, until then.
                hold(version, document, newEtag, new Wanted(next.postgres(), Optional.empty()));
                log("version " + version + " needs what the database lacked when last read (" + why + "); reading"
                        + " what it offers again before deciding, version " + appliedVersion + " runs meanwhile");
                return Optional.empty();
            }
            refuse(version, "this host lacks what the configuration needs: " + why, fromServer, newEtag);
            return Optional.empty();
        }
        return Optional.of(next);
    }

    /** Why a version failed with an Error, in words an operator can act on. */
    static String failedWith(int version, Error e) {
        String what = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        if (e instanceof OutOfMemoryError) {
            return "the agent ran out of memory applying version " + version + " (" + what + ", heap of at most "
                    // Rounded up: the JVM reports -Xmx less a survivor space (15.75 MB of -Xmx16m).
                    + Math.ceilDiv(Runtime.getRuntime().maxMemory(), 1024 * 1024) + " MB); raise its heap (-Xmx in"
                    + " /usr/lib/pgfleet-agent/lib/jvm.options, or PGFLEET_AGENT_JAVA_OPTS) or shrink the document";
        }
        return "the agent failed applying version " + version + " (" + what + ")";
    }

    /** What the database offers; a probe that fails says nothing (unknown) rather than end the lane. */
    private Optional<HostFacts.PostgresFacts> probe(EffectiveConfig.PostgresTarget target) {
        try {
            return p.metrics().probe(target);
        } catch (RuntimeException e) {
            log("could not read what the monitored database offers (" + e.getMessage() + "); it is unknown");
            return Optional.empty();
        }
    }

    // ---- facts of the monitored database, on their own lane ---------------------------------------

    /**
     * Asks for the facts of a database to be read on the facts lane. One read at a time, and at most
     * one more asked for meanwhile (the newest target), besides a read of the running database that a
     * held version's took the place of ({@link #want}): nothing queues up behind a database that does
     * not answer. Returns at once.
     *
     * @return the request's number: a read that answers it, or a later one, is as new as this call
     */
    private long refreshFacts(EffectiveConfig.PostgresTarget target) {
        return want(new Wanted(target, Optional.empty()), false);
    }

    /**
     * Holds a version until the facts lane answers what is asked for it (see {@link Awaiting}); the
     * pull lane goes on meanwhile and decides it once woken by the answer.
     */
    private void hold(int version, String document, String etag, Wanted wanted) {
        synchronized (factsLock) {
            // Held before it is asked for: an answer however quick finds it, and wakes the pull lane.
            awaiting = Optional.of(new Awaiting(version, document, etag, factsRequests + 1));
            want(wanted, true);
        }
    }

    /**
     * Asks the facts lane for a read or a check, replacing one asked for and not begun; see
     * {@link #refreshFacts}. A held version's read or check ({@code forHeld}) that replaces a read of
     * the running database of another database puts that read aside, to be made after it: otherwise
     * the running version's reports would say nothing of its database ({@code postgres: null}) until
     * the next apply or SIGHUP. (A read of the same database serves both.) Any other read replaces the
     * one put aside too: it reads the running database again, or a version for another one runs now.
     */
    private long want(Wanted wanted, boolean forHeld) {
        synchronized (factsLock) {
            if (!forHeld) {
                putAside = Optional.empty();
            } else {
                EffectiveConfig.PostgresTarget running = current.postgres();
                long replaced = factsRequests;
                factsWanted.filter(w -> w.from().isEmpty() && w.target().equals(running)
                                && !wanted.target().equals(running))
                        .ifPresent(w -> putAside = Optional.of(new PutAside(w.target(), replaced)));
                if (wanted.from().isEmpty()) {
                    // Read of the same database, and newer: it serves what was put aside.
                    putAside = putAside.filter(a -> !a.target().equals(wanted.target()));
                }
            }
            factsWanted = Optional.of(wanted);
            long request = ++factsRequests;
            if (!factsReading && !stopping) {
                factsReading = true;
                p.scheduler().schedule(Scheduler.Lane.FACTS, Duration.ZERO, this::readFacts);
            }
            return request;
        }
    }

    private void readFacts() {
        boolean more;
        Optional<Wanted> taken = Optional.empty();
        long request = 0;
        try {
            synchronized (factsLock) {
                if (stopping) {
                    return;
                }
                if (factsWanted.isPresent()) {
                    taken = factsWanted;
                    factsWanted = Optional.empty();
                    request = factsRequests;
                } else if (putAside.isPresent()) {
                    // After the held version's read or check, which it waited for.
                    taken = Optional.of(new Wanted(putAside.get().target(), Optional.empty()));
                    request = putAside.get().request();
                    putAside = Optional.empty();
                } else {
                    return;
                }
            }
            Wanted wanted = taken.get();
            // A database that cannot be reached has no facts to read (and one that stalls would hold
            // the lane a second time).
            if (wanted.from().isEmpty() || reach(wanted.target(), wanted.from().get(), request)) {
                FactsRead read = new FactsRead(wanted.target(), probe(wanted.target()), request);
                remember(read);
                synchronized (factsLock) {
                    // A read of the database put aside, asked for after it: it serves. (One begun
                    // before it was asked for may be older than the version it is for.)
                    putAside = putAside.filter(a -> !a.target().equals(read.target()) || a.request() > read.request());
                }
                if (!stopping) {
                    factsArrived(read);
                }
            }
        } catch (RuntimeException | Error e) {
            if (!stopping) {
                log("reading what the monitored database offers failed: " + e);
            }
        } finally {
            if (taken.isPresent()) {
                // Answered, whatever came of it: a version held for it is decided now (on the pull
                // lane). A read put aside answers an older request, which no held version waits for.
                long answered = request;
                if (answered > factsAnswered) {
                    factsAnswered = answered;
                }
                if (awaiting.filter(a -> a.request() <= answered).isPresent() && !stopping) {
                    wake();
                }
            }
            synchronized (factsLock) {
                more = (factsWanted.isPresent() || putAside.isPresent()) && !stopping;
                factsReading = more;
            }
            if (more) {
                // Asked for during this read: one more, for the newest target.
                p.scheduler().schedule(Scheduler.Lane.FACTS, Duration.ZERO, this::readFacts);
            }
        }
    }

    /** The last read of a database's facts, if it is one of those kept ({@link #lastReads}). */
    private Optional<FactsRead> lastRead(EffectiveConfig.PostgresTarget target) {
        return lastReads.stream().filter(r -> r.target().equals(target)).findFirst();
    }

    /** Keeps a read ({@link #lastReads}); on the facts lane only. */
    private void remember(FactsRead read) {
        EffectiveConfig.PostgresTarget running = current.postgres();
        List<FactsRead> others = lastReads.stream().filter(r -> !r.target().equals(read.target())).toList();
        Optional<FactsRead> kept = others.stream().filter(r -> r.target().equals(running)).findFirst()
                .or(() -> others.isEmpty() ? Optional.empty() : Optional.of(others.getLast()));
        lastReads = kept.map(k -> List.of(k, read)).orElse(List.of(read));
    }

    /**
     * Checks that the database a version points at can be reached (a connection of its own and
     * {@code SELECT 1}), and when it cannot, whether the running version's can: only then would the
     * version cut the agent off its database. When neither answers (the database is restarting, or
     * the new one is not there yet and the old one is gone) the version makes nothing worse, and
     * refusing it would keep the agent on an old target through a database's restart. Records the
     * answer ({@link #lastReach}): unknown, never a refusal, when the check itself failed.
     *
     * @return whether {@code target} was reached
     */
    private boolean reach(EffectiveConfig.PostgresTarget target, EffectiveConfig.PostgresTarget from, long request) {
        Optional<String> why = Optional.empty();
        Optional<String> cutOff = Optional.empty();
        try {
            why = unreachable(target);
            if (why.isPresent() && unreachable(from).isEmpty()) {
                cutOff = why;
            }
        } finally {
            lastReach = Optional.of(new ReachCheck(target, from, cutOff, request));
        }
        return why.isEmpty();
    }

    /**
     * Fresh facts: what depends on them is looked at again. For the running version, what it now
     * lacks is said, and the last report goes to the server again when the facts it carried are not
     * these. (A version held for them is decided on the pull lane, which {@link #readFacts} wakes.)
     */
    private void factsArrived(FactsRead read) {
        EffectiveConfig running = current;
        if (appliedVersion == 0 || !read.target().equals(running.postgres()) || read.request() < runningSince) {
            return;
        }
        String lacking = read.facts().map(pg -> CapabilityCheck.requirements(running, pg)).orElse(List.of()).stream()
                .map(CapabilityGap::toString).collect(Collectors.joining("; "));
        if (!lacking.equals(lackingLogged)) {
            lackingLogged = lacking;
            if (!lacking.isEmpty()) {
                log("the monitored database does not offer what version " + appliedVersion + " needs (" + lacking
                        + "); the collectors concerned fail their runs until it does, and the server is told");
            }
        }
        synchronized (reportLock) {
            // Checked under the lock the pull lane reports under: a version applied meanwhile, for
            // another database, keeps its own report.
            if (lastReport.isEmpty() || !current.postgres().equals(read.target()) || read.request() < runningSince) {
                return;
            }
            StatusReporter.Report base = pendingReport.orElse(lastReport.get());
            if (pendingReport.isEmpty() && base.postgres().equals(read.facts())) {
                return;
            }
            pendingReport = Optional.of(new StatusReporter.Report(base.version(), base.status(), base.error(),
                    base.effectiveSha256(), base.allowLists(), read.facts()));
            lastReport = pendingReport;
            flushReportLocked();
        }
    }

    /** Decides the version held for the facts lane, once it answered (on the pull lane). */
    private void resumeAwaiting() {
        Optional<Awaiting> held = awaiting;
        if (held.isEmpty() || factsAnswered < held.get().request()) {
            return;
        }
        Awaiting a = held.get();
        apply(a.version(), a.document(), a.etag(), true, a.request());
    }

    /** What this host refuses or lacks; the allow-lists come first, so nothing outside them is touched. */
    private Optional<String> hostProblem(EffectiveConfig next) {
        EffectiveConfig.PostgresTarget t = next.postgres();
        Optional<String> refused = settings.allowLists().check(t);
        if (refused.isPresent()) {
            return refused;
        }
        if (!t.passwordFile().isEmpty()) {
            Optional<String> real = p.host().realPath(t.passwordFile());
            if (real.isEmpty() || !p.host().readableFile(real.get())) {
                return Optional.of("postgres.password_file " + t.passwordFile()
                        + " does not exist on this host or is not readable by the agent");
            }
            // The path as written is inside an allowed directory; where its links lead must be too.
            AllowLists allow = settings.allowLists();
            Optional<String> escaped = allow.checkResolved(real.get(), resolved(allow.passwordDirs()),
                    resolved(allow.ownFiles()));
            if (escaped.isPresent()) {
                return escaped;
            }
        }
        if (!t.passwordEnv().isEmpty() && !p.host().envSet(t.passwordEnv())) {
            return Optional.of("postgres.password_env names " + t.passwordEnv() + ", which is not set for the agent");
        }
        return next.diskPaths().stream().filter(d -> !p.host().exists(d))
                .map(d -> "collectors.disk_usage.paths: " + d + " does not exist on this host").findFirst();
    }

    private List<String> resolved(List<String> paths) {
        return paths.stream().map(d -> p.host().realPath(d).orElse(d)).toList();
    }

    /**
     * A version that cannot run here. Sent by the server, it failed: reported, never retried. Read
     * from the last-known-good copy, only the copy is refused: it may be damaged (a truncated write,
     * a hand edit) or the host may have changed since, and marking the version failed would make the
     * agent skip that same version when the server sends it intact.
     */
    private void refuse(int version, String error, boolean fromServer, String tag) {
        if (fromServer) {
            failedEtag = tag;
            fail(version, error);
            return;
        }
        ignoreLastKnownGood(java.util.OptionalInt.of(version), error);
    }

    private void fail(int version, String error) {
        failedVersion = version;
        p.self().applied(ApplyStatus.FAILED);
        report(version, ApplyStatus.FAILED, error);
        // After the server's history replaced the agent's, what runs has no number in the server's;
        // before any version was applied the defaults run, which no version 0 ever held.
        String running = appliedVersion > 0 ? "version " + appliedVersion
                : runningDocument.isEmpty() ? "the defaults (no configuration applied yet)"
                : "the configuration it ran before";
        log("could not apply configuration version " + version + ": " + error + "; still running " + running
                + ", and version " + version + " will not be retried");
    }

    private void report(int version, ApplyStatus status, String error) {
        synchronized (reportLock) {
            pendingReport = Optional.of(new StatusReporter.Report(version, status, error, current.sha256(),
                    settings.allowLists(), reportableFacts(current.postgres())));
            lastReport = pendingReport;
            flushReport();
        }
    }

    /**
     * The facts a report may carry about the database the running version monitors: only those of a
     * read asked for since that version was applied. Older ones may be stale, and a report must not
     * claim what the database may no longer offer; none is "unknown" to the server, which then
     * refuses nothing for this host on the database's account.
     */
    private Optional<HostFacts.PostgresFacts> reportableFacts(EffectiveConfig.PostgresTarget target) {
        return lastRead(target).filter(r -> r.request() >= runningSince).flatMap(FactsRead::facts);
    }

    private void flushReport() {
        synchronized (reportLock) {
            flushReportLocked();
        }
    }

    private void flushReportLocked() {
        // A refused identity sends nothing, also not the facts lane's report with fresh facts: it waits
        // for a re-binding (the pull lane then reports what runs) or stays unsent.
        if (pendingReport.isEmpty() || lockedOut) {
            return;
        }
        try {
            p.reporter().report(pendingReport.get());
            pendingReport = Optional.empty();
            lastDelivered = p.scheduler().nanoTime();
        } catch (ServerException e) {
            if (e.kind() == ServerException.Kind.REJECTED) {
                // The server will never take this report (a 409 for a revision it does not have, after its
                // database went back to an older backup): sent again after every pull it would be refused
                // every time, and logged every time. The next version applied is reported anew.
                log("the server refused the apply status report of version " + pendingReport.get().version()
                        + " (" + e.getMessage() + "); it is dropped");
                pendingReport = Optional.empty();
                lastReport = Optional.empty();
            } else if (e.kind() == ServerException.Kind.IDENTITY_REFUSED || e.kind() == ServerException.Kind.DECOMMISSIONED) {
                // The report's answer may be the first to say so (a decommission or revocation between
                // a pull and its report): said once as the pull and push lanes say it, not as a
                // failure to retry. The report stays pending: once an operator re-binds the agent, the
                // pull lane reports what runs.
                lockOut(e);
            } else if (!stopping) {
                log("could not report the apply status yet (" + e.getMessage() + "); will retry");
            }
        }
    }

    /**
     * Switches to a configuration by carrying out the change from the running one.
     *
     * @return the change in words
     */
    private String switchTo(EffectiveConfig next) {
        EffectiveConfig before = current;
        boolean firstRun = !collecting;
        ConfigChange change = firstRun ? startFrom(next) : ConfigChange.between(before, next);
        current = next;
        collecting = true;
        carryOut(change, next);
        return change.describe(next);
    }

    /** The change from nothing running to a configuration. */
    private static ConfigChange startFrom(EffectiveConfig next) {
        Set<CollectorKind> on = EnumSet.noneOf(CollectorKind.class);
        for (CollectorKind k : CollectorKind.values()) {
            if (next.schedule(k).enabled()) {
                on.add(k);
            }
        }
        return new ConfigChange(on, Set.of(), Set.of(), true, true, false, false, false);
    }

    private void carryOut(ConfigChange change, EffectiveConfig next) {
        if (change.reconnect()) {
            p.metrics().retarget(next.postgres());
        }
        long now = p.scheduler().nanoTime();
        synchronized (collectionLock) {
            for (CollectorKind k : change.stopped()) {
                Collection c = collections.remove(k);
                // Switched off: its failures end with it, and no "collects again" follows a later start.
                failedRuns.remove(k);
                if (c != null) {
                    c.generation++;
                    c.next.ifPresent(Scheduler.Task::cancel);
                }
            }
            for (CollectorKind k : change.started()) {
                Collection c = new Collection(next.schedule(k).interval());
                collections.put(k, c);
                scheduleRun(k, c, Duration.ZERO);
            }
            for (CollectorKind k : CollectorKind.values()) {
                Collection c = collections.get(k);
                if (c == null || change.started().contains(k)) {
                    continue;
                }
                boolean rescheduled = change.rescheduled().contains(k);
                boolean retargeted = change.reconnect() && k.needsDatabase();
                if (!rescheduled && !retargeted) {
                    continue;
                }
                c.interval = next.schedule(k).interval();
                // A new interval counts from the last start; a new database is measured at once.
                Duration delay = retargeted ? Duration.ZERO : untilNext(now, c);
                c.generation++;
                c.next.ifPresent(Scheduler.Task::cancel);
                scheduleRun(k, c, delay);
            }
        }
        if (change.pushIntervalChanged()) {
            schedulePush(next.pushInterval());
        }
    }

    private void scheduleRun(CollectorKind kind, Collection c, Duration delay) {
        int generation = c.generation;
        // The database's collectors wait for it when it does not answer (up to the driver's 30 s
        // socket timeout a run): the host's own run beside them, so load and memory are still
        // measured while the database stalls, when they matter most.
        Scheduler.Lane lane = kind.needsDatabase() ? Scheduler.Lane.COLLECT : Scheduler.Lane.COLLECT_HOST;
        c.next = Optional.of(p.scheduler().schedule(lane, delay, () -> runCollector(kind, c, generation)));
    }

    private void runCollector(CollectorKind kind, Collection c, int generation) {
        synchronized (collectionLock) {
            if (!running || c.generation != generation) {
                return;
            }
            c.lastStart = p.scheduler().nanoTime();
            c.ran = true;
        }
        // How long a run took is measured on the monotonic clock: a wall clock stepped during the run
        // (NTP, date -s) would make it negative or hours long.
        long started = p.scheduler().nanoTime();
        try {
            buffer.addAll(p.metrics().collect(kind, current));
            p.self().collected(kind, since(started), true);
            collectedAgain(kind);
        } catch (MetricSource.PartlyCollected e) {
            // What was read is kept; the part that failed is counted and said, as a failed run is.
            buffer.addAll(e.samples());
            if (stopping) {
                return;
            }
            collectionFailed(kind, started, e);
        } catch (Exception | OutOfMemoryError e) {
            if (stopping) {
                // Interrupted by the stop: the database did not fail.
                return;
            }
            collectionFailed(kind, started, e);
        }
        synchronized (collectionLock) {
            if (running && c.generation == generation) {
                Duration delay = untilNext(p.scheduler().nanoTime(), c);
                scheduleRun(kind, c, delay);
            }
        }
    }

    /**
     * A collector's runs in a row that failed: how many, since when (monotonic and wall clock), and
     * when the last line about them was said. A collector's runs follow one another on its lane, so
     * one thread at a time touches its entry.
     */
    private static final class FailedRuns {
        final long startedNanos;
        final Instant startedAt;
        long lastSaid;
        int failed;
        /** The last failure said, without its numbers (a port, a pid, a duration): its kind. */
        String kind;

        FailedRuns(long startedNanos, Instant startedAt) {
            this.startedNanos = startedNanos;
            this.startedAt = startedAt;
            this.lastSaid = startedNanos;
        }
    }

    /**
     * A failed run: counted, and logged once a minute per collector (a database that is down must not
     * flood the log): the first of a streak at once, a failure of another kind than the last one said
     * at once too (the database came back and now refuses the password, or pg_hba.conf the agent: the
     * log must not go on saying "refused" for a minute), repeats of one kind at most once a minute.
     */
    private void collectionFailed(CollectorKind kind, long started, Throwable e) {
        p.self().collected(kind, since(started), false);
        long now = p.scheduler().nanoTime();
        String message = String.valueOf(e.getMessage());
        String failureKind = message.replaceAll("\\d+", "#");
        FailedRuns streak = failedRuns.get(kind);
        boolean say;
        if (streak == null) {
            streak = new FailedRuns(now, p.scheduler().now().truncatedTo(ChronoUnit.SECONDS));
            failedRuns.put(kind, streak);
            say = true;
        } else {
            say = !failureKind.equals(streak.kind) || now - streak.lastSaid >= ERROR_LOG_EVERY.toNanos();
        }
        streak.failed++;
        if (say) {
            streak.lastSaid = now;
            streak.kind = failureKind;
            log(kind.key() + " could not collect: " + message);
        }
    }

    /**
     * A run succeeded: a streak of failed runs it ends is said once, so the log's last word about a
     * collector whose database came back (restarted, its password file updated, a lock released) is
     * not its failure.
     */
    private void collectedAgain(CollectorKind kind) {
        FailedRuns streak = failedRuns.remove(kind);
        if (streak != null) {
            Duration lasted = Duration.ofNanos(Math.max(0, p.scheduler().nanoTime() - streak.startedNanos));
            log(kind.key() + " collects again after " + OutageLog.words(lasted) + ": " + streak.failed
                    + (streak.failed == 1 ? " run" : " runs") + " failed since " + streak.startedAt);
        }
    }

    /**
     * The wait until a collector's next run: one interval after its last start (on the monotonic
     * clock, so a wall clock stepped by NTP or a resumed VM changes nothing), at once if that passed
     * or it never ran, and never more than one interval.
     */
    private static Duration untilNext(long now, Collection c) {
        if (!c.ran) {
            return Duration.ZERO;
        }
        Duration d = max0(c.interval.minus(Duration.ofNanos(now - c.lastStart)));
        return d.compareTo(c.interval) > 0 ? c.interval : d;
    }

    /** The time since a reading of the monotonic clock (never negative). */
    private Duration since(long nanoTime) {
        return max0(Duration.ofNanos(p.scheduler().nanoTime() - nanoTime));
    }

    private static Duration max0(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    // ---- push -----------------------------------------------------------------------------------

    private synchronized void schedulePush(Duration delay) {
        pushTask.ifPresent(Scheduler.Task::cancel);
        if (running && !stopping) {
            pushTask = Optional.of(p.scheduler().schedule(Scheduler.Lane.PUSH, delay, this::push));
        }
    }

    private void push() {
        if (!running || stopping) {
            return;
        }
        Duration next = current.pushInterval();
        try {
            synchronized (pushLock) {
                // Checked again under the lock: a lane push that waited for it behind the stop's last
                // push has nothing left to send, and would only be interrupted as the lanes stop.
                if (!stopping) {
                    next = pushLocked().orElse(next);
                }
            }
        } catch (RuntimeException | Error e) {
            if (!stopping) {
                log("push failed: " + e);
            }
        } finally {
            // The lane goes on whatever happened, as the pull lane does.
            schedulePush(next);
        }
    }

    /** Pushes what is waiting; a back-off pause when the server could not take it. */
    private Optional<Duration> pushOnce() {
        synchronized (pushLock) {
            if (serverFailedDuringStop) {
                return Optional.empty();
            }
            return pushLocked();
        }
    }

    private Optional<Duration> pushLocked() {
        if (p.enroller().collectorId().isEmpty() || lockedOut) {
            return Optional.empty();
        }
        logDrops();
        for (int round = 0; round < 50 && running; round++) {
            Optional<Batch> batch = nextBatch();
            if (batch.isEmpty()) {
                return heartbeat();
            }
            Batch b = batch.get();
            try {
                p.sink().push(b.id(), b.samples());
                pending.pollFirst();
                pushFailures = 0;
                lastDelivered = p.scheduler().nanoTime();
                outage.succeeded(OutageLog.Lane.PUSH, () -> (buffer.size() + waiting()) + " samples waiting");
                forgetSpooled();
                p.self().pushed(SelfMetrics.PushResult.OK, b.samples().size());
            } catch (ServerException e) {
                p.self().pushed(switch (e.kind()) {
                    case TOO_LARGE -> SelfMetrics.PushResult.SPLIT;
                    case REJECTED -> SelfMetrics.PushResult.REFUSED;
                    case IDENTITY_REFUSED, DECOMMISSIONED, UNAVAILABLE, UNAUTHORIZED -> SelfMetrics.PushResult.ERROR;
                }, b.samples().size());
                switch (e.kind()) {
                    case TOO_LARGE -> split(b);
                    case REJECTED -> {
                        // The same batch will never be accepted: resending it would jam every push after it.
                        pending.pollFirst();
                        refusedDropped += b.samples().size();
                        log("the server refused a batch of " + b.samples().size() + " samples (" + e.getMessage()
                                + "); they are dropped and counted in " + DROPPED_METRIC);
                    }
                    case IDENTITY_REFUSED, DECOMMISSIONED -> {
                        lockOut(e);
                        spool(false);
                        return Optional.empty();
                    }
                    case UNAVAILABLE, UNAUTHORIZED -> {
                        spool(false);
                        if (stopping) {
                            // Nothing retries any more, and the stop's last push would wait as long
                            // again on the same server: it is not made (a stop is over within one
                            // push's answer deadline, inside systemd's stop timeout).
                            serverFailedDuringStop = true;
                            log("push not delivered as the agent stops (" + e.getMessage() + "); "
                                    + (buffer.size() + waiting()) + " samples waiting are kept on disk");
                            return Optional.empty();
                        }
                        // Kept under the same id: a batch the server stored before the answer was
                        // lost is stored once.
                        return Optional.of(retryPush(e, (buffer.size() + waiting()) + " samples waiting, " + dropped()
                                + " dropped so far;"));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** What an outage's summary says of the samples: how many wait, in which buffer, how many were lost. Under the push lock. */
    private String samplesWaiting() {
        return (buffer.size() + waiting()) + " samples waiting in the buffer of " + buffer.capacity()
                + " (buffer_samples), " + dropped() + " dropped so far";
    }

    /** The pause after one more push in a row that did not reach the server, or that it could not take. */
    /**
     * A push the server did not take for now (away, overloaded, or the access token refused): the
     * pause before the next, said through the outage log.
     *
     * @param held what the agent holds, as the line says it, with its punctuation before "retrying"
     *             ("12 samples waiting, 0 dropped so far;")
     */
    private Duration retryPush(ServerException e, String held) {
        Duration pause = pushPause(e);
        outage.failed(OutageLog.Lane.PUSH, e,
                (e.kind() == ServerException.Kind.UNAUTHORIZED ? "push refused by the server" : "push failed")
                        + " (" + e.getMessage() + "); " + held + " retrying in " + pause.toMillis() + " ms",
                samplesWaiting());
        return pause;
    }

    private Duration pushPause(ServerException e) {
        pushFailures++;
        Duration cap = clamp(current.pushInterval().multipliedBy(5), Duration.ofSeconds(5), Duration.ofSeconds(60));
        return PullPolicy.honouring(PullPolicy.afterFailure(pushFailures, cap, p.random()), e.retryAfter(), p.random());
    }

    /**
     * With nothing to push: an empty push (a new batch id, no sample) when the server has taken nothing
     * from this agent for the longest the running configuration goes without being heard from
     * ({@link EffectiveConfig#longestSilence()}, a third of the silence after which the fleet view calls
     * the collector stale). The server counts pushes and apply reports as contact, not pulls and
     * watches (a read of the configuration writes nothing); an agent whose collectors collect nothing
     * — every one off, or every one failing — would otherwise be {@code stale} while it pulls and
     * applies well. It is due at most once a silence: an agent that holds samples never sends one.
     * Under the push lock.
     */
    private Optional<Duration> heartbeat() {
        if (stopping || p.scheduler().nanoTime() - lastDelivered < current.longestSilence().toNanos()) {
            return Optional.empty();
        }
        try {
            p.sink().push(UUID.randomUUID().toString(), List.of());
            pushFailures = 0;
            lastDelivered = p.scheduler().nanoTime();
            outage.succeeded(OutageLog.Lane.PUSH, () -> "nothing collected to send");
            p.self().pushed(SelfMetrics.PushResult.OK, 0);
            return Optional.empty();
        } catch (ServerException e) {
            boolean refused = e.kind() == ServerException.Kind.REJECTED || e.kind() == ServerException.Kind.TOO_LARGE;
            p.self().pushed(refused ? SelfMetrics.PushResult.REFUSED : SelfMetrics.PushResult.ERROR, 0);
            switch (e.kind()) {
                case IDENTITY_REFUSED, DECOMMISSIONED -> lockOut(e);
                case REJECTED, TOO_LARGE -> {
                    // Not this release's server (it takes an empty batch, as every release did), a proxy
                    // before it: tried again after another silence, said once.
                    lastDelivered = p.scheduler().nanoTime();
                    if (!heartbeatRefusedLogged) {
                        heartbeatRefusedLogged = true;
                        log("the server refused an empty push (" + e.getMessage() + "), which this agent sends when"
                                + " it has had nothing to push for " + current.longestSilence().toSeconds()
                                + " s; the fleet view may show it stale while it collects nothing");
                    }
                }
                case UNAVAILABLE, UNAUTHORIZED -> {
                    if (!stopping) {
                        return Optional.of(retryPush(e, "nothing collected to send,"));
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** The batch to send next: one kept for a retry, or a new one from the buffer. */
    private Optional<Batch> nextBatch() {
        if (!pending.isEmpty()) {
            return Optional.of(pending.peekFirst());
        }
        Sample counter = new Sample(DROPPED_METRIC, Map.of(), dropped(),
                p.scheduler().now().truncatedTo(ChronoUnit.MILLIS));
        List<Sample> taken = buffer.take(MAX_BATCH_SAMPLES - 1, MAX_BATCH_BYTES - jsonBytes(counter), AgentCore::jsonBytes);
        if (taken.isEmpty()) {
            return Optional.empty();
        }
        List<Sample> samples = new ArrayList<>(taken);
        samples.add(counter);
        Batch b = new Batch(UUID.randomUUID().toString(), samples);
        pending.addLast(b);
        return Optional.of(b);
    }

    /** A batch too large for the server becomes two new batches (new ids: the refused one was not stored). */
    private void split(Batch b) {
        pending.pollFirst();
        List<Sample> s = b.samples();
        if (s.size() == 1) {
            refusedDropped++;
            log("the server refuses even a single sample as too large; it is dropped and counted in " + DROPPED_METRIC);
            return;
        }
        int half = s.size() / 2;
        pending.addFirst(new Batch(UUID.randomUUID().toString(), List.copyOf(s.subList(half, s.size()))));
        pending.addFirst(new Batch(UUID.randomUUID().toString(), List.copyOf(s.subList(0, half))));
        log("the server found a batch of " + s.size() + " samples too large; sending it as two of " + half + " and "
                + (s.size() - half));
    }

    /** How often, at most, the spool is rewritten while the server stays away. */
    static final Duration SPOOL_EVERY = Duration.ofSeconds(60);

    /**
     * Keeps what is not delivered on disk: at the first failed push after a success, then at most
     * every {@link #SPOOL_EVERY} while the server stays away, and when the agent stops (always). A
     * crash during an outage loses at most the samples of the last minute, not the outage's.
     * Under the push lock.
     */
    private void spool(boolean stopping) {
        if (pending.isEmpty() && buffer.size() == 0) {
            forgetSpooled();
            return;
        }
        // On the monotonic clock: a wall clock stepped back since the last write would otherwise hold
        // the next one until it caught up, and a crash meanwhile would lose it all.
        long now = p.scheduler().nanoTime();
        if (!stopping && spooled && now - spooledAt < SPOOL_EVERY.toNanos()) {
            return;
        }
        // Copied only when written: a failed push every few seconds does not copy the whole buffer.
        List<Sample> buffered = buffer.snapshot();
        SampleSpool.Unsent unsent = new SampleSpool.Unsent(
                pending.stream().map(b -> new SampleSpool.Batch(b.id(), b.samples())).toList(), buffered);
        try {
            p.spool().save(unsent);
            spooled = true;
            spooledAt = now;
            if (stopping) {
                log(unsent.samples() + " samples not delivered are kept on disk and sent after the next start");
            }
        } catch (RuntimeException e) {
            // The samples stay in memory; only a restart before the next successful push loses them.
            log("cannot keep the " + unsent.samples() + " undelivered samples on disk (" + e.getMessage()
                    + (e.getCause() != null ? ": " + e.getCause().getMessage() : "")
                    + "); a restart before the server takes them loses them");
        }
    }

    /** After a successful push: what the spool held is delivered or in memory. Under the push lock. */
    private void forgetSpooled() {
        if (spooled) {
            try {
                p.spool().clear();
                spooled = false;
            } catch (RuntimeException e) {
                log("cannot delete the kept samples (" + e.getMessage()
                        + (e.getCause() != null ? ": " + e.getCause().getMessage() : "")
                        + "); they may be sent again after a restart");
            }
        }
    }

    /** At start: samples the last run could not deliver go first, batches under their ids. */
    private void restoreSpooled() {
        SampleSpool.Loaded loaded;
        try {
            loaded = p.spool().load(settings.bufferSamples());
        } catch (RuntimeException e) {
            log("the samples kept by the last run cannot be read (" + e.getMessage() + "); they are dropped");
            try {
                p.spool().clear();
            } catch (RuntimeException ignored) {
                // logged once above; the next save replaces the file
            }
            return;
        }
        SampleSpool.Unsent unsent = loaded.unsent();
        if (loaded.older() > 0) {
            // Counted as the buffer's drops: they are what a buffer of this size would have pushed out.
            buffer.countDropped(loaded.older());
            log(loaded.older() + " older samples kept by the last run do not fit in the buffer of "
                    + settings.bufferSamples() + " (buffer_samples, lowered since they were kept?) and are dropped,"
                    + " counted in " + DROPPED_METRIC + "; the newest " + settings.bufferSamples() + " are kept");
        }
        if (loaded.skipped() > 0) {
            // Bounded: a file damaged throughout says how much, and why for the first few lines.
            log(loaded.skipped() + (loaded.skipped() == 1 ? " line" : " lines") + " of the samples kept by the last run"
                    + " could not be read and " + (loaded.skipped() == 1 ? "is" : "are") + " skipped ("
                    + String.join("; ", loaded.reasons()) + (loaded.skipped() > loaded.reasons().size() ? "; …" : "")
                    + "); " + unsent.samples() + (unsent.samples() == 1 ? " sample was read" : " samples were read"));
        }
        if (unsent.samples() == 0) {
            if (loaded.skipped() > 0) {
                try {
                    // Nothing in it to send: said once, not at every start.
                    p.spool().clear();
                } catch (RuntimeException ignored) {
                    // the next save replaces the file
                }
            }
            return;
        }
        synchronized (pushLock) {
            unsent.batches().forEach(b -> pending.addLast(new Batch(b.id(), b.samples())));
            buffer.addAll(unsent.buffered());
            // Kept until a push succeeds: a crash before then finds them again.
            spooled = true;
            spooledAt = p.scheduler().nanoTime();
        }
        log(unsent.samples() + " samples the last run could not deliver are sent first");
    }

    private int waiting() {
        return pending.stream().mapToInt(b -> b.samples().size()).sum();
    }

    private void logDrops() {
        long now = dropped();
        if (now != loggedDrops) {
            log((now - loggedDrops) + " samples dropped since the last report (" + now + " in all: "
                    + buffer.dropped() + " because the buffer of " + settings.bufferSamples() + " was full, "
                    + refusedDropped + " refused by the server)");
            loggedDrops = now;
        }
    }

    /**
     * Samples lost since the agent started: pushed out of a full buffer, or refused by the server.
     *
     * @return the count
     */
    public long dropped() {
        return buffer.dropped() + refusedDropped;
    }

    /**
     * Samples pushed out of the full buffer since the agent started (the oldest go first).
     *
     * @return the count
     */
    public long droppedBufferFull() {
        return buffer.dropped();
    }

    /**
     * Samples the server refused since the agent started (a batch it will never take).
     *
     * @return the count
     */
    public long droppedRefused() {
        return refusedDropped;
    }

    /**
     * Samples in the buffer now (not counting those taken into a batch that waits for a retry). Never
     * waits for a push in progress.
     *
     * @return the count
     */
    public int bufferedSamples() {
        return buffer.size();
    }

    /**
     * The most samples the buffer holds.
     *
     * @return {@code buffer_samples}
     */
    public int bufferCapacity() {
        return settings.bufferSamples();
    }

    /**
     * An upper bound of a sample's size in the push body's JSON (names, labels, value, timestamp;
     * every character counted as if escaped to two bytes).
     *
     * @param s the sample
     * @return bytes
     */
    public static long jsonBytes(Sample s) {
        long n = 80 + 2L * s.name().length();
        for (Map.Entry<String, String> e : s.labels().entrySet()) {
            n += 8 + 2L * (e.getKey().length() + e.getValue().length()) * 3;
        }
        return n;
    }

    private static Duration clamp(Duration d, Duration min, Duration max) {
        return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
    }

    // ---- state ----------------------------------------------------------------------------------

    private static String describe(EffectiveConfig c) {
        List<String> on = new ArrayList<>();
        c.collectors().forEach((k, s) -> {
            if (s.enabled()) {
                on.add(k.key() + " every " + s.interval().toSeconds() + " s");
            }
        });
        return (on.isEmpty() ? "no collector enabled" : String.join(", ", on)) + "; push every "
                + c.pushInterval().toSeconds() + " s; "
                + (c.watch() ? "watching for changes" : "polling every " + c.pullInterval().toSeconds() + " s");
    }

    /**
     * The version running now.
     *
     * @return 0 before the first apply
     */
    public int appliedVersion() {
        return appliedVersion;
    }

    /**
     * The newest version that failed on this host.
     *
     * @return 0 when none
     */
    public int failedVersion() {
        return failedVersion;
    }

    /**
     * The configuration running now.
     *
     * @return it (the defaults before any)
     */
    public EffectiveConfig current() {
        return current;
    }

    /**
     * Whether the server refuses this agent's identity until an operator re-binds it.
     *
     * @return true when locked out
     */
    public boolean lockedOut() {
        return lockedOut;
    }

    /**
     * Samples waiting to be pushed.
     *
     * @return the count
     */
    public int waitingSamples() {
        synchronized (pushLock) {
            return buffer.size() + waiting();
        }
    }

    /**
     * Batches kept for a retry; each carries one {@link #DROPPED_METRIC} sample besides those
     * collected (counted in {@link #waitingSamples()}).
     *
     * @return the count
     */
    public int pendingBatches() {
        synchronized (pushLock) {
            return pending.size();
        }
    }

    private void log(String message) {
        p.log().accept(message);
    }

    /**
     * Stops every lane's future work, ends a held watch and tries one last push. Requests and
     * collector runs ended by the stop are not logged as failures: the log says the agent stopped,
     * not that its server or database went away.
     */
    public void stop() {
        if (!running) {
            return;
        }
        synchronized (collectionLock) {
            collections.values().forEach(c -> {
                c.generation++;
                c.next.ifPresent(Scheduler.Task::cancel);
            });
            collections.clear();
        }
        synchronized (this) {
            stopping = true;
            pullTask.ifPresent(Scheduler.Task::cancel);
            pushTask.ifPresent(Scheduler.Task::cancel);
            // A held watch changes nothing on the server: it ends now (the server sees its connection
            // go), quietly, rather than be cut when the lanes stop and read as an unreachable server.
            p.source().abortWatch();
        }
        try {
            pushOnce();
        } catch (RuntimeException e) {
            log("last push failed: " + e.getMessage());
        }
        synchronized (pushLock) {
            spool(true);
        }
        running = false;
        p.metrics().close();
    }
}
