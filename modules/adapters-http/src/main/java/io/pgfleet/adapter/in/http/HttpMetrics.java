package io.pgfleet.adapter.in.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.FleetCounts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * What the API counts, on a Micrometer registry, served as Prometheus text at {@code /observe/metrics}.
 * Every name carries its unit ({@code _seconds}) or is a count ({@code _total} for counters); every
 * meter has help text; latencies are histograms with the fixed buckets below, so they add up across
 * instances. The names and buckets are listed in docs/operations.md.
 */
public final class HttpMetrics {

    /** The methods that get a tag of their own; any other is counted as {@code other}. */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    static final String OTHER = "other";

    /** Request latency buckets: a watch may be held up to 300 s, so the buckets reach past it. */
    static final Duration[] REQUEST_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);
    /** Publish → watcher answered buckets: from a same-instance answer to a cross-instance one after a reconnect. */
    static final Duration[] PROPAGATION_BUCKETS = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
    /** Validation buckets: a document of at most the body limit is checked in milliseconds. */
    static final Duration[] VALIDATION_BUCKETS = seconds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1);

    /**
     * How old the fleet gauges may be: a scrape counts the fleet in the database only when the last
     * count is older than this, so however often (and by whomever) {@code /observe/metrics} is called,
     * an instance asks the database for the fleet's counts at most once per this period.
     */
    public static final Duration FLEET_SNAPSHOT_MAX_AGE = Duration.ofSeconds(15);

    /** The slug of the problem the current request answered with, read back when the response is sent. */
    private static final ThreadLocal<String> PROBLEM = new ThreadLocal<>();

    /** At most this many names in one filtered scrape ({@code ?name[]=…}); more is a 400. */
    static final int MAX_SCRAPE_NAMES = 64;
    /** The fleet gauges: a filtered scrape reads the fleet from the database only when it asks for one of them. */
    private static final Set<String> FLEET_NAMES = Set.of("pgfleet_collectors", "pgfleet_collectors_by_apply_status",
            "pgfleet_fleet_query_up", "pgfleet_fleet_snapshot_age_seconds");

    /**
     * The registry's exposition text.
     */
    @FunctionalInterface
    public interface Exposition {
        /**
         * The exposition text.
         *
         * @param names the metric names to include; empty for every one
         * @return the text
         */
        String text(Set<String> names);
    }

    private final MeterRegistry registry;
    private final Exposition scrape;
    private final Clock clock;
    /**
     * Watches held now. A change wakes many watchers at once and each one leaves here: an adder
     * spreads those updates over cells instead of every watcher retrying one contended counter.
     */
    private final LongAdder watching = new LongAdder();
    private final Counter publishes;
    private final Counter rollbacks;
    private final Counter samples;
    private final Timer propagation;
    private final Timer validation;
    private final Map<String, AtomicLong> collectors = new ConcurrentHashMap<>();
    /**
     * Request timers of each declared route, by method and status class slot ({@link #requestTimer(Optional, String, int)}),
     * found without building a meter id or a key per request. Bounded by the route table.
     */
    private final Map<ApiRoutes.DeclaredRoute, AtomicReferenceArray<Timer>> routeTimers = new ConcurrentHashMap<>();
    /** Request timers of requests that matched no declared route, by status class slot. */
    private final AtomicReferenceArray<Timer> unroutedTimers = newSlots();
    private final AtomicLong fleetQueryUp = new AtomicLong();
    private final Duration fleetMaxAge;
    /** Held by the one scrape that refreshes the fleet; others answer with the last values meanwhile. */
    private final java.util.concurrent.locks.ReentrantLock fleetRefresh = new java.util.concurrent.locks.ReentrantLock();
    /** When the fleet was last read (successfully or not); empty before the first read. */
    private volatile Optional<Instant> fleetReadAt = Optional.empty();
    /** When the fleet gauges were last set from a successful read. */
    private volatile Optional<Instant> fleetReadOkAt = Optional.empty();

    /**
     * Metrics on a registry.
     *
     * @param registry where meters live
     * @param scrape   the registry's exposition text, of every metric or of the names given
     */
    public HttpMetrics(MeterRegistry registry, Exposition scrape) {
        this(registry, scrape, Clock.systemUTC());
    }

    /**
     * Metrics on a registry, timed on a given clock.
     *
     * @param registry where meters live
     * @param scrape   the registry's exposition text, of every metric or of the names given
     * @param clock    the database's clock as this instance tells it: a watch's propagation is measured
     *                 from a version's publish time, which is on it, and this host's clock may be minutes
     *                 away from it
     */
    public HttpMetrics(MeterRegistry registry, Exposition scrape, Clock clock) {
        this(registry, scrape, clock, FLEET_SNAPSHOT_MAX_AGE);
    }

    HttpMetrics(MeterRegistry registry, Exposition scrape, Clock clock, Duration fleetMaxAge) {
        this.registry = registry;
        this.scrape = scrape;
        this.clock = clock;
        this.fleetMaxAge = fleetMaxAge;
        Gauge.builder("pgfleet_watches_held", watching, LongAdder::sum)
                .description("Watches (long polls) this instance holds open right now").register(registry);
        this.publishes = Counter.builder("pgfleet_publishes")
                .description("Configuration versions published through this instance (rollbacks included)").register(registry);
        this.rollbacks = Counter.builder("pgfleet_rollbacks")
                .description("Rollbacks published through this instance (each also counts as a publish)").register(registry);
        this.samples = Counter.builder("pgfleet_samples_stored")
                .description("Samples stored from agents' pushes").register(registry);
        this.propagation = Timer.builder("pgfleet_publish_to_watch_answer")
                .description("Time from a version's publication to a watcher being answered with it")
                .serviceLevelObjectives(PROPAGATION_BUCKETS).register(registry);
        this.validation = Timer.builder("pgfleet_validation")
                .description("Time to parse and validate a configuration document (POST /validate)")
                .serviceLevelObjectives(VALIDATION_BUCKETS).register(registry);
        for (ApplyStatus s : ApplyStatus.values()) {
            applyReport(s, 0);
        }
        for (String state : List.of("in_sync", "out_of_sync", "never_seen", "stale", "revoked", "left_behind")) {
            collectorGauge("pgfleet_collectors", "state", state,
                    "Collectors by state (in_sync, out_of_sync and never_seen: each collector not revoked is one of"
                            + " them; stale = seen, but not for three push, pull or sampling intervals (the longest); revoked;"
                            + " left_behind = still on a rolled-back rollout's staged version); "
                            + "from the fleet snapshot (pgfleet_fleet_snapshot_age_seconds)");
        }
        for (String status : List.of("APPLIED", "FAILED", "none")) {
            collectorGauge("pgfleet_collectors_by_apply_status", "status", status,
                    "Collectors (not revoked) by the status of their last apply report; from the fleet snapshot");
        }
        Gauge.builder("pgfleet_fleet_query_up", fleetQueryUp, AtomicLong::get)
                .description("1 when the last read of the fleet from the database succeeded, 0 when the database did not answer")
                .register(registry);
        Gauge.builder("pgfleet_fleet_snapshot_age_seconds", this, HttpMetrics::fleetSnapshotAgeSeconds)
                .description("Age of the fleet gauges: seconds since they were last read from the database "
                        + "(they are read at most every " + fleetMaxAge.toSeconds() + " s, on a scrape); -1 before the first read")
                .register(registry);
    }

    private double fleetSnapshotAgeSeconds() {
        return fleetReadOkAt.map(t -> Math.max(0, Duration.between(t, clock.instant()).toMillis()) / 1000.0).orElse(-1.0);
    }

    private void collectorGauge(String name, String tag, String value, String help) {
        AtomicLong v = collectors.computeIfAbsent(name + "|" + value, k -> new AtomicLong());
        Gauge.builder(name, v, AtomicLong::get).tag(tag, value).description(help).register(registry);
    }

    /**
     * The exposition text, after the fleet gauges are set from the fleet's counts.
     *
     * @param fleet the fleet's counts, read now (may throw when the database is away)
     * @return the text
     */
    String scrape(Supplier<FleetCounts> fleet) {
        return scrape(fleet, Set.of());
    }

    /**
     * The exposition text of some metrics (a health check or a script that wants one gauge need not
     * have every histogram formatted), after the fleet gauges are set when they are among them.
     *
     * @param fleet the fleet's counts, read now (may throw when the database is away)
     * @param names the names to include; empty for every one
     * @return the text
     */
    String scrape(Supplier<FleetCounts> fleet, Set<String> names) {
        if (names.isEmpty() || names.stream().anyMatch(FLEET_NAMES::contains)) {
            refreshFleet(fleet);
        }
        return scrape.text(names);
    }

    /**
     * Counts the fleet into the gauges when the last read is older than the snapshot's maximum age.
     * One scrape refreshes at a time; concurrent ones answer with the values they find, so a burst
     * of scrapes (or a slow database) never queues fleet reads.
     */
    private void refreshFleet(Supplier<FleetCounts> fleet) {
        if (!due() || !fleetRefresh.tryLock()) {
            return;
        }
        try {
            if (!due()) {
                return;
            }
            try {
                fleetGauges(fleet.get());
                fleetQueryUp.set(1);
                fleetReadOkAt = Optional.of(clock.instant());
            } catch (RuntimeException e) {
                // The scrape itself must still answer: the gauges keep their last values and this says so.
                fleetQueryUp.set(0);
            }
            fleetReadAt = Optional.of(clock.instant());
        } finally {
            fleetRefresh.unlock();
        }
    }

    private boolean due() {
        Optional<Instant> last = fleetReadAt;
        if (last.isEmpty()) {
            return true;
        }
        Instant now = clock.instant();
        // A clock stepped back must not freeze the gauges until it catches up.
        return now.isBefore(last.get()) || !now.isBefore(last.get().plus(fleetMaxAge));
    }

    String scrape() {
        return scrape.text(Set.of());
    }

    void fleetGauges(FleetCounts counts) {
        set("pgfleet_collectors", "in_sync", counts.inSync());
        set("pgfleet_collectors", "out_of_sync", counts.outOfSync());
        set("pgfleet_collectors", "stale", counts.stale());
        set("pgfleet_collectors", "never_seen", counts.neverSeen());
        set("pgfleet_collectors", "revoked", counts.revoked());
        set("pgfleet_collectors", "left_behind", counts.leftBehind());
        set("pgfleet_collectors_by_apply_status", "APPLIED", counts.applied());
        set("pgfleet_collectors_by_apply_status", "FAILED", counts.failed());
        set("pgfleet_collectors_by_apply_status", "none", counts.noReport());
    }

    private void set(String name, String value, long n) {
        collectors.get(name + "|" + value).set(n);
    }

    void published() {
        publishes.increment();
    }

    void rolledBack() {
        rollbacks.increment();
    }

    void samplesStored(int count) {
        samples.increment(count);
    }

    /** Samples of batches refused whole, by reason: {@code rate} (the collector's allowance) or {@code series}. */
    void samplesRefused(String reason, int count) {
        Counter.builder("pgfleet_samples_refused").tag("reason", reason)
                .description("Samples of pushed batches refused whole, by reason (rate, series)")
                .register(registry).increment(count);
    }

    void applyReport(ApplyStatus status, int count) {
        Counter.builder("pgfleet_apply_reports").tag("status", status.name())
                .description("Apply reports received from agents, by reported status").register(registry).increment(count);
    }

    void login(String outcome) {
        Counter.builder("pgfleet_logins").tag("outcome", outcome)
                .description("Password logins by outcome (issued, refused, throttled)").register(registry).increment();
    }

    /** Sessions a login ended, the oldest of its user's, for the user held as many open sessions as it may. */
    void sessionsEndedForLimit(int count) {
        Counter.builder("pgfleet_sessions_ended_for_limit")
                .description("Sessions ended by a login because their user held sessions_per_user open sessions"
                        + " (the oldest end)").register(registry).increment(count);
    }

    /**
     * The time a watch's hold begins, on the clock publish times are compared with: a version
     * published from then on measures propagation.
     */
    Instant watchHoldStart() {
        return clock.instant();
    }

    void watchAnswered(Instant publishedAt) {
        Duration d = Duration.between(publishedAt, clock.instant());
        // The database's clock as instances tell it may differ by a fraction of a millisecond; a
        // negative age is counted as immediate.
        propagation.record(d.isNegative() ? Duration.ZERO : d);
    }

    <T> T timeValidation(Supplier<T> check) {
        return validation.record(check);
    }

    void watchStarted() {
        watching.increment();
    }

    void watchEnded() {
        watching.decrement();
    }

    /**
     * Notes the problem type a response carries, for the refused-requests counter.
     *
     * @param slug the problem's short name
     */
    static void problemSent(String slug) {
        PROBLEM.set(slug);
    }

    Filter requestTimer() {
        return (FilterChain chain, RoutingRequest req, RoutingResponse res) -> {
            Timer.Sample sample = Timer.start(registry);
            String method = req.prologue().method().text();
            PROBLEM.remove();
            // Counted when the response is sent, so the status and problem type are those the client got.
            res.whenSent(() -> {
                String problem = PROBLEM.get();
                PROBLEM.remove();
                // Tags come only from the matched route's template and a fixed set of methods, so
                // however many distinct paths and methods clients invent, the series stay bounded.
                Optional<ApiRoutes.DeclaredRoute> route = req.context().get(ApiRoutes.DeclaredRoute.class);
                int code = res.status().code();
                sample.stop(requestTimer(route, method, code));
                if (code >= 400) {
                    // Problem types are a fixed set of slugs in the code, so this stays bounded too.
                    Counter.builder("pgfleet_http_problems")
                            .description("Requests answered with a problem (4xx/5xx), by problem type")
                            .tag("type", problem == null ? OTHER : problem)
                            .tag("status", Integer.toString(code))
                            .register(registry).increment();
                }
            });
            chain.proceed();
        };
    }

    /** Method tags in slot order; any other method is {@link #OTHER}, the last slot. */
    private static final List<String> METHOD_SLOTS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", OTHER);
    /** Status class tags in slot order: 1xx … 5xx, then {@link #OTHER}. */
    private static final List<String> STATUS_SLOTS = List.of("1xx", "2xx", "3xx", "4xx", "5xx", OTHER);

    /**
     * The request timer of a route, method and status. Every response looks one up, so it is found
     * by the route (one map lookup; a route is declared once and its record hashes its fields) and
     * two array indexes, with nothing built per request: no key, no tag strings.
     */
    private Timer requestTimer(Optional<ApiRoutes.DeclaredRoute> route, String method, int code) {
        int methodSlot = route.isPresent() ? methodSlot(method) : METHOD_SLOTS.size() - 1;
        int slot = methodSlot * STATUS_SLOTS.size() + statusSlot(code);
        AtomicReferenceArray<Timer> timers = route.isPresent()
                ? routeTimers.computeIfAbsent(route.get(), r -> newSlots())
                : unroutedTimers;
        Timer t = timers.get(slot);
        if (t == null) {
            // Registering is idempotent in Micrometer: two requests racing here get the same timer.
            t = requestTimer(METHOD_SLOTS.get(methodSlot), route, STATUS_SLOTS.get(statusSlot(code)));
            timers.set(slot, t);
        }
        return t;
    }

    private static AtomicReferenceArray<Timer> newSlots() {
        return new AtomicReferenceArray<>(METHOD_SLOTS.size() * STATUS_SLOTS.size());
    }

    private static int methodSlot(String method) {
        return switch (method) {
            case "GET" -> 0;
            case "HEAD" -> 1;
            case "POST" -> 2;
            case "PUT" -> 3;
            case "PATCH" -> 4;
            case "DELETE" -> 5;
            case "OPTIONS" -> 6;
            default -> 7;
        };
    }

    private static int statusSlot(int code) {
        return code >= 100 && code < 600 ? code / 100 - 1 : STATUS_SLOTS.size() - 1;
    }

    private Timer requestTimer(String method, Optional<ApiRoutes.DeclaredRoute> route, String status) {
        return Timer.builder("pgfleet_http_request_duration")
                .description("HTTP requests by method, route template, area and status class")
                .serviceLevelObjectives(REQUEST_BUCKETS)
                .tag("method", method)
                .tag("area", route.map(ApiRoutes.DeclaredRoute::area).orElse(OTHER))
                .tag("route", route.map(ApiRoutes.DeclaredRoute::template).orElse(OTHER))
                .tag("status", status)
                .register(registry);
    }

    private static Duration[] seconds(double... values) {
        Duration[] d = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = Duration.ofNanos(Math.round(values[i] * 1_000_000_000L));
        }
        return d;
    }
}
