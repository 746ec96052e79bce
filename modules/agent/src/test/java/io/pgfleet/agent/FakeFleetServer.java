package io.pgfleet.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small pgfleet server on loopback, real HTTP, that counts what an agent asks. It answers like
 * the real one: a plain configuration pull of a collector without configuration is a 404, a watch
 * is held for the requested seconds unless a version newer than {@code after} exists.
 */
public final class FakeFleetServer implements AutoCloseable {

    private static final Pattern AFTER = Pattern.compile("(?:^|&)after=(\\d+)");
    private static final Pattern WAIT = Pattern.compile("(?:^|&)wait=(\\d+)");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger configRequests = new AtomicInteger();
    /** The {@code wait} of each watch, in order. */
    private final List<Integer> waits = new CopyOnWriteArrayList<>();
    private final AtomicInteger refreshes = new AtomicInteger();
    private final AtomicInteger concurrentRefreshes = new AtomicInteger();
    private final AtomicInteger mostConcurrentRefreshes = new AtomicInteger();
    private volatile String validAccess = "a0";
    private volatile boolean refuseRefresh;
    private volatile boolean decommissioned;
    private volatile boolean checkAccess;
    private volatile boolean away;
    private volatile int overloadedRetryAfter;
    /** The real server's per-collector sample rate, on the clock the test gives, while set. */
    private volatile Optional<Map.Entry<io.pgfleet.domain.fleet.SampleRate, java.util.function.Supplier<java.time.Instant>>>
            sampleRate = Optional.empty();
    private io.pgfleet.domain.fleet.SampleAllowance allowance;
    private final AtomicInteger rateRefusals = new AtomicInteger();
    private volatile Optional<URI> pushRedirect = Optional.empty();
    private final AtomicInteger overloadedAnswers = new AtomicInteger();
    private final Map<String, List<String>> stored = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicInteger largestPush = new AtomicInteger();
    private final AtomicInteger refusedPushes = new AtomicInteger();
    private final List<String> statusReports = new CopyOnWriteArrayList<>();
    private volatile Optional<Map.Entry<Integer, String>> published = Optional.empty();
    private final List<String> registrationKeys = new CopyOnWriteArrayList<>();
    private final AtomicInteger lostRegistrationAnswers = new AtomicInteger();
    private volatile boolean keyReused;
    private volatile boolean keyOutlived;
    /** What the next registrations are answered with instead of a valid identity, while set. */
    private volatile Optional<String> registrationAnswer = Optional.empty();
    /** What answers in front of the server, while set: a proxy, an auth gateway, a WAF. */
    private volatile Optional<InFront> inFront = Optional.empty();
    private final AtomicInteger answeredInFront = new AtomicInteger();

    /**
     * An answer given instead of the server's to requests whose path begins with one of {@code paths}.
     *
     * @param paths       path prefixes, e.g. {@code /api/v1/auth/refresh}
     * @param status      its status
     * @param contentType its {@code Content-Type}, empty for none
     * @param body        its body
     */
    public record InFront(List<String> paths, int status, String contentType, String body) {
    }

    public FakeFleetServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/api/v1/collectors/register", ex -> {
            if (answeredInFront(ex)) {
                return;
            }
            registrationKeys.add(Optional.ofNullable(ex.getRequestHeaders().getFirst("Idempotency-Key")).orElse(""));
            ex.getRequestBody().readAllBytes();
            if (keyReused) {
                send(ex, 422, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/idempotency-key-reused\","
                        + "\"status\":422,\"detail\":\"the idempotency key was used for another registration request\"}");
                return;
            }
            if (keyOutlived) {
                send(ex, 401, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/registration-key-outlived\","
                        + "\"title\":\"Registration retry refused\",\"status\":401,\"detail\":\"the session this"
                        + " idempotency key registered has ended\"}");
                return;
            }
            if (lostRegistrationAnswers.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                // Registered, but the answer never reaches the agent: the connection breaks first.
                ex.close();
                return;
            }
            send(ex, 201, "application/json", registrationAnswer.orElse(
                    "{\"collector_id\":\"c-1\",\"access_token\":\"" + validAccess + "\",\"refresh_token\":\"r0\"}"));
        });
        server.createContext("/api/v1/auth/refresh", ex -> {
            if (!answeredInFront(ex)) {
                refresh(ex);
            }
        });
        server.createContext("/api/v1/collectors/", ex -> {
            if (answeredInFront(ex)) {
                return;
            }
            statusReports.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            send(ex, 204, "", "");
        });
        server.createContext("/api/v1/metrics/push", ex -> {
            if (!answeredInFront(ex)) {
                push(ex);
            }
        });
        server.createContext("/api/v1/config/", ex -> {
            if (!answeredInFront(ex)) {
                config(ex);
            }
        });
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The Idempotency-Key of every registration received, in order (empty text when none was sent). */
    List<String> registrationKeys() {
        return List.copyOf(registrationKeys);
    }

    /**
     * While set, what sits in front of the server answers the requests it names itself (the server
     * never sees them); empty lets every request through again.
     */
    public void inFront(Optional<InFront> answer) {
        inFront = answer;
    }

    /** How many requests were answered in front of the server. */
    public int answeredInFront() {
        return answeredInFront.get();
    }

    private boolean answeredInFront(HttpExchange ex) throws IOException {
        Optional<InFront> f = inFront;
        String path = ex.getRequestURI().getPath();
        if (f.isEmpty() || f.get().paths().stream().noneMatch(path::startsWith)) {
            return false;
        }
        ex.getRequestBody().readAllBytes();
        answeredInFront.incrementAndGet();
        send(ex, f.get().status(), f.get().contentType(), f.get().body());
        return true;
    }

    /** Registrations are answered {@code 422 idempotency-key-reused}, as when a key was used with other settings. */
    void refuseRegistrationKeys(boolean refuse) {
        keyReused = refuse;
    }

    /**
     * Registrations are answered {@code 401 registration-key-outlived}, as when the collector the
     * key registered was enrolled on another host since.
     */
    void outliveRegistrationKeys(boolean outlived) {
        keyOutlived = outlived;
    }

    /** Registrations are answered {@code 201} with this body (a broken or hostile server), or as usual when empty. */
    void answerRegistrationsWith(Optional<String> json) {
        registrationAnswer = json;
    }

    /** The next registrations are received but their answers lost (the connection breaks). */
    void loseRegistrationAnswers(int count) {
        lostRegistrationAnswers.set(count);
    }

    /** The {@code wait} of each watch so far, in order. */
    List<Integer> waits() {
        return List.copyOf(waits);
    }

    void publish(int version, String document) {
        published = Optional.of(Map.entry(version, document));
    }

    /** While away, pushes answer 503 (a restart, an outage). */
    public void away(boolean away) {
        this.away = away;
    }

    /**
     * While overloaded, pushes answer {@code 429 overloaded} with this {@code Retry-After}, as the
     * real server does when its connection pool stays busy; 0 ends it.
     */
    public void overloaded(int retryAfterSeconds) {
        this.overloadedRetryAfter = retryAfterSeconds;
    }

    /**
     * While set, pushes answer {@code 308 Permanent Redirect} to this address, as a load balancer
     * moving plain HTTP to another host or to HTTPS does; empty ends it.
     */
    public void redirectPushesTo(Optional<URI> location) {
        this.pushRedirect = location;
    }

    /**
     * From now on pushes are held to this sample rate, as the real server holds one collector:
     * beyond it {@code 429 sample-rate-exceeded} with the real {@code Retry-After}, nothing stored.
     *
     * @param rate  the rate
     * @param clock the time the allowance refills by (the test scheduler's)
     */
    public synchronized void limitSamples(io.pgfleet.domain.fleet.SampleRate rate,
                                          java.util.function.Supplier<java.time.Instant> clock) {
        sampleRate = Optional.of(Map.entry(rate, clock));
        allowance = io.pgfleet.domain.fleet.SampleAllowance.full(rate, clock.get());
    }

    /** How many pushes were refused for the sample rate. */
    public int rateRefusals() {
        return rateRefusals.get();
    }

    /** Takes a batch from the allowance, or answers the refusal the real server gives. */
    private synchronized Optional<java.time.Duration> takeSamples(int count) {
        if (sampleRate.isEmpty()) {
            return Optional.empty();
        }
        io.pgfleet.domain.fleet.SampleRate rate = sampleRate.get().getKey();
        io.pgfleet.domain.fleet.SampleAllowance.Take t = allowance.take(io.pgfleet.domain.fleet.SampleRate.cost(count),
                rate, sampleRate.get().getValue().get());
        allowance = t.left();
        return t instanceof io.pgfleet.domain.fleet.SampleAllowance.Refused r ? Optional.of(r.retryAfter())
                : Optional.empty();
    }

    /** How many pushes were answered 429. */
    public int overloadedAnswers() {
        return overloadedAnswers.get();
    }

    /** Samples stored, by batch id: a batch id is stored once, like the real server does. */
    public Map<String, List<String>> storedBatches() {
        return stored;
    }

    /** The largest push body seen, in bytes. */
    public int largestPushBytes() {
        return largestPush.get();
    }

    public int refusedPushes() {
        return refusedPushes.get();
    }

    private void push(HttpExchange ex) throws IOException {
        if (!authorized(ex)) {
            return;
        }
        byte[] body = ex.getRequestBody().readAllBytes();
        largestPush.accumulateAndGet(body.length, Math::max);
        if (away) {
            send(ex, 503, "application/problem+json", "{\"title\":\"away\"}");
            return;
        }
        Optional<URI> redirect = pushRedirect;
        if (redirect.isPresent()) {
            ex.getResponseHeaders().add("Location", redirect.get().resolve("/api/v1/metrics/push").toString());
            send(ex, 308, "text/plain", "moved");
            return;
        }
        int retryAfter = overloadedRetryAfter;
        if (retryAfter > 0) {
            overloadedAnswers.incrementAndGet();
            ex.getResponseHeaders().add("Retry-After", Integer.toString(retryAfter));
            send(ex, 429, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/overloaded\",\"status\":429}");
            return;
        }
        // The real server's limits: 256 KiB a body (413), 5,000 samples a batch (400).
        if (body.length > 256 * 1024) {
            refusedPushes.incrementAndGet();
            send(ex, 413, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/payload-too-large\",\"title\":\"Request body too large\"}");
            return;
        }
        jakarta.json.JsonObject o;
        try (jakarta.json.JsonReader r = jakarta.json.Json.createReader(new java.io.ByteArrayInputStream(body))) {
            o = r.readObject();
        }
        jakarta.json.JsonArray samples = o.getJsonArray("samples");
        if (samples.size() > 5000) {
            refusedPushes.incrementAndGet();
            send(ex, 400, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/bad-request\",\"title\":\"too many samples\"}");
            return;
        }
        Optional<java.time.Duration> wait = stored.containsKey(o.getString("batch_id")) ? Optional.empty()
                : takeSamples(samples.size());
        if (wait.isPresent()) {
            rateRefusals.incrementAndGet();
            ex.getResponseHeaders().add("Retry-After", Long.toString(wait.get().toSeconds()));
            send(ex, 429, "application/problem+json",
                    "{\"type\":\"https://pgfleet.io/problems/sample-rate-exceeded\",\"status\":429}");
            return;
        }
        List<String> texts = samples.stream().map(Object::toString).toList();
        stored.putIfAbsent(o.getString("batch_id"), texts);
        send(ex, 202, "application/json", "{}");
    }

    int configRequests() {
        return configRequests.get();
    }

    List<String> statusReports() {
        return statusReports;
    }

    /** From now on only a refreshed access token is accepted (the current one expired). */
    public void expireAccessToken() {
        checkAccess = true;
        validAccess = "expired-" + validAccess;
    }

    /** Refreshes are refused from now on (the collector was revoked). */
    void refuseRefresh() {
        refuseRefresh = true;
    }

    /** Refreshes are refused from now on as the server refuses those of a decommissioned collector. */
    void decommission() {
        decommissioned = true;
    }

    int refreshes() {
        return refreshes.get();
    }

    int mostConcurrentRefreshes() {
        return mostConcurrentRefreshes.get();
    }

    private void refresh(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        if (decommissioned) {
            // As the server answers (docs/api.md), a long detail included: the agent reads it whole.
            send(ex, 401, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/collector-decommissioned\","
                    + "\"title\":\"Collector decommissioned\",\"status\":401,\"detail\":\"collector 'c-1' was"
                    + " decommissioned at 2026-11-30T09:12:44.512Z; its id is never bound to a host again, so no enrolment"
                    + " token can bring it back: register the host under a new id (a new collector)\","
                    + "\"request_id\":\"0b6f2f4e-7d7e-4a55-9d0c-2b1c3f0f5a11\"}");
            return;
        }
        if (refuseRefresh) {
            send(ex, 401, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/unauthorized\",\"title\":\"Not authenticated\",\"status\":401,\"detail\":\"the refresh token is not accepted\"}");
            return;
        }
        int n = refreshes.incrementAndGet();
        mostConcurrentRefreshes.accumulateAndGet(concurrentRefreshes.incrementAndGet(), Math::max);
        try {
            TimeUnit.MILLISECONDS.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        concurrentRefreshes.decrementAndGet();
        validAccess = "a" + n;
        send(ex, 200, "application/json", "{\"subject\":\"c-1\",\"access_token\":\"a" + n
                + "\",\"refresh_token\":\"r" + n + "\"}");
    }

    private boolean authorized(HttpExchange ex) throws IOException {
        String auth = Optional.ofNullable(ex.getRequestHeaders().getFirst("Authorization")).orElse("");
        if (checkAccess && !auth.equals("Bearer " + validAccess)) {
            ex.getRequestBody().readAllBytes();
            send(ex, 401, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/unauthorized\",\"status\":401,\"detail\":\"expired\"}");
            return false;
        }
        return true;
    }

    private void config(HttpExchange ex) throws IOException {
        configRequests.incrementAndGet();
        if (!authorized(ex)) {
            return;
        }
        String q = Optional.ofNullable(ex.getRequestURI().getRawQuery()).orElse("");
        Matcher w = WAIT.matcher(q);
        Matcher a = AFTER.matcher(q);
        Optional<Map.Entry<Integer, String>> p = published;
        if (!w.find()) {
            if (p.isEmpty()) {
                send(ex, 404, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/no-configuration\",\"title\":\"no configuration\"}");
            } else {
                sendConfig(ex, p.get());
            }
            return;
        }
        waits.add(Integer.parseInt(w.group(1)));
        int after = a.find() ? Integer.parseInt(a.group(1)) : 0;
        if (p.isPresent() && p.get().getKey() > after) {
            sendConfig(ex, p.get());
            return;
        }
        try {
            // Held like the real server holds a watch: nothing newer, so the whole wait.
            TimeUnit.SECONDS.sleep(Math.min(Integer.parseInt(w.group(1)), 60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        send(ex, 304, "", "");
    }

    private static void sendConfig(HttpExchange ex, Map.Entry<Integer, String> p) throws IOException {
        ex.getResponseHeaders().add("X-Config-Version", Integer.toString(p.getKey()));
        ex.getResponseHeaders().add("ETag", "\"v" + p.getKey() + "\"");
        send(ex, 200, "application/toml", p.getValue());
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        // One exchange per connection: the JDK's small server and a pooling client otherwise race
        // on connections it has already closed.
        ex.getResponseHeaders().add("Connection", "close");
        if (!type.isEmpty()) {
            ex.getResponseHeaders().add("Content-Type", type);
        }
        if (status == 204 || status == 304) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
        }
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
