package io.pgfleet.agent.transport;

import io.helidon.common.configurable.Resource;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsConfig;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.api.WebClientConfig;
import io.pgfleet.agent.core.AllowLists;
import io.pgfleet.agent.core.ConfigSource;
import io.pgfleet.agent.core.Enroller;
import io.pgfleet.agent.core.SampleSink;
import io.pgfleet.agent.core.ServerException;
import io.pgfleet.agent.core.StatusReporter;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.json.HostFactsJson;
import io.pgfleet.domain.schema.ConfigSchema;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The agent's side of the HTTP API (Helidon WebClient): the core's configuration source, status
 * reporter, sample sink and enroller. A 401 triggers one token refresh and one retry; refreshes
 * are single-flight (the pull and push lanes never refresh concurrently, so a rotated refresh token
 * is never presented twice), and the new pair is persisted before it is used. A refresh the server
 * refuses means the identity itself is refused. Only the server's own answers are taken as its
 * verdict: a 4xx that is not its problem document (a proxy's, a gateway's or a WAF's page) is a
 * failure retried like an unreachable server, never a refused identity, enrolment token or batch.
 * A watch is never held past the access token's expiry (as the server's {@code expires_in} tells
 * it): the token is refreshed before a watch it would not outlast, and a watch asks for no longer
 * than the token lives, so a server with access tokens shorter than the hold answers no watch 401.
 */
public final class ServerClient implements ConfigSource, StatusReporter, SampleSink, Enroller {

    /** Receives new tokens, so that a rotated refresh token is never lost. */
    public interface TokenSink {
        /**
         * Called with the agent's identity after registration and after every refresh, before the
         * new tokens are used.
         *
         * @param collectorId  the collector id
         * @param refreshToken the newest refresh token
         */
        void save(String collectorId, String refreshToken);
    }

    /**
     * Keeps the {@code Idempotency-Key} of the registration under way, so that a registration
     * whose answer was lost (the server registered, the connection broke) and is sent again, even
     * after a restart of the agent, names the collector it created instead of creating a second one.
     */
    public interface RegistrationKeys {
        /**
         * The key for a registration attempt: the one kept from an earlier attempt, else a new
         * random one, kept before it is returned.
         *
         * @return 16 to 128 characters of {@code A-Z a-z 0-9 _ -}
         */
        String registrationKey();

        /** Forgets the key: the identity it obtained is kept, or the server will never accept it. */
        void forgetRegistrationKey();

        /**
         * Keys kept in memory only (a restart of the process starts a new series).
         *
         * @return the keys
         */
        static RegistrationKeys inMemory() {
            return new RegistrationKeys() {
                private String key = "";

                @Override
                public synchronized String registrationKey() {
                    if (key.isEmpty()) {
                        key = newKey();
                    }
                    return key;
                }

                @Override
                public synchronized void forgetRegistrationKey() {
                    key = "";
                }
            };
        }

        /**
         * A new random key: 256 bits, base64url.
         *
         * @return the key
         */
        static String newKey() {
            byte[] bytes = new byte[32];
            KEY_RANDOM.nextBytes(bytes);
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        }
    }

    private static final java.security.SecureRandom KEY_RANDOM = new java.security.SecureRandom();

    /** Most bytes of a configuration answer read (the server takes documents of at most 256 KiB). */
    public static final int MAX_DOCUMENT_BYTES = 1024 * 1024;
    /** Most bytes of a registration or refresh answer read. */
    public static final int MAX_JSON_BYTES = 64 * 1024;
    /**
     * The longest one request may take from connecting to the last byte of its answer (a watch: this
     * beyond the seconds the server is asked to hold it). The read timeout bounds each read only: a
     * server, proxy or network that sends a byte now and then, or a chunked answer that never ends,
     * would otherwise hold a lane (configuration or push) for days.
     */
    public static final Duration ANSWER_DEADLINE = Duration.ofSeconds(60);
    /** The operating system as the server shows it, bounded as the server requires. */
    static final String OS = bounded(System.getProperty("os.name", "") + " " + System.getProperty("os.version", "")
            + " " + System.getProperty("os.arch", ""));

    private static String bounded(String s) {
        String printable = s.strip().replaceAll("\\p{C}", "");
        return printable.length() > HostFacts.MAX_OS ? printable.substring(0, HostFacts.MAX_OS) : printable;
    }

    /** What the host can run: the schema this agent understands, its OS and the monitored PostgreSQL. */
    private static jakarta.json.JsonObject facts(StatusReporter.Report report, int schemaVersion) {
        return HostFactsJson.write(new HostFacts(schemaVersion, OS, report.postgres()));
    }

    private static final int ERROR_EXCERPT_BYTES = 4096;
    /** This agent's version, from its jar's manifest (Implementation-Version); empty when run from classes. */
    private static final String AGENT_VERSION =
            Optional.ofNullable(ServerClient.class.getPackage().getImplementationVersion()).orElse("");

    private static final io.helidon.http.HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");

    private final WebClient http;
    private final TokenSink sink;
    private final RegistrationKeys keys;
    /** The key when {@link #keys} cannot keep one. */
    private final RegistrationKeys unkeptKeys = RegistrationKeys.inMemory();
    private final Consumer<String> warn;
    private final Object refreshLock = new Object();
    /** Whether the newest pair is only in memory (the state directory refused it); guarded by refreshLock. */
    private boolean unsaved;
    private volatile String collectorId;
    private volatile String refreshToken;
    private volatile String accessToken = "";
    /**
     * How long {@link #accessToken} is good for, or null when the server did not say (a server of
     * an earlier release) or there is none yet. Written before the token it belongs to.
     */
    private volatile AccessLife accessLife;
    /** The configuration schema version reported in the facts: this agent's own, unless told otherwise. */
    private volatile int schemaVersion = ConfigSchema.VERSION;
    /** How long one exchange may take beyond the time a watch is held; see {@link #ANSWER_DEADLINE}. */
    private volatile Duration answerDeadline = ANSWER_DEADLINE;
    private final Object watchLock = new Object();
    /** The watch exchange under way, for {@link #abortWatch()}; guarded by watchLock. */
    private Optional<java.util.concurrent.Future<?>> watchExchange = Optional.empty();
    /** Whether {@link #abortWatch()} was called since the last fetch returned; guarded by watchLock. */
    private boolean watchAborted;

    /**
     * A client for one server.
     *
     * @param serverUrl    the server
     * @param caFile       a PEM CA to trust instead of the JDK's trust store
     * @param certFile     a PEM client certificate chain (mTLS)
     * @param keyFile      its PEM key
     * @param collectorId  the known identity, empty before registration
     * @param refreshToken the known refresh token
     * @param sink         where new tokens go
     */
    public ServerClient(URI serverUrl, Optional<Path> caFile, Optional<Path> certFile, Optional<Path> keyFile,
                        String collectorId, String refreshToken, TokenSink sink) {
        this(serverUrl, caFile, certFile, keyFile, collectorId, refreshToken, sink,
                m -> System.err.println("pgfleet-agent: " + m));
    }

    /**
     * A client for one server that says where it wants when new tokens cannot be kept.
     *
     * @param serverUrl    the server
     * @param caFile       a PEM CA to trust instead of the JDK's trust store
     * @param certFile     a PEM client certificate chain (mTLS)
     * @param keyFile      its PEM key
     * @param collectorId  the known identity, empty before registration
     * @param refreshToken the known refresh token
     * @param sink         where new tokens go
     * @param warn         where a failure to keep them is said
     */
    public ServerClient(URI serverUrl, Optional<Path> caFile, Optional<Path> certFile, Optional<Path> keyFile,
                        String collectorId, String refreshToken, TokenSink sink, Consumer<String> warn) {
        this(serverUrl, caFile, certFile, keyFile, collectorId, refreshToken, sink, RegistrationKeys.inMemory(), warn);
    }

    /**
     * A client for one server that keeps the key of a registration under way where it says.
     *
     * @param serverUrl    the server
     * @param caFile       a PEM CA to trust instead of the JDK's trust store
     * @param certFile     a PEM client certificate chain (mTLS)
     * @param keyFile      its PEM key
     * @param collectorId  the known identity, empty before registration
     * @param refreshToken the known refresh token
     * @param sink         where new tokens go
     * @param keys         where the registration's idempotency key is kept until the identity is
     * @param warn         where a failure to keep them is said
     */
    public ServerClient(URI serverUrl, Optional<Path> caFile, Optional<Path> certFile, Optional<Path> keyFile,
                        String collectorId, String refreshToken, TokenSink sink, RegistrationKeys keys,
                        Consumer<String> warn) {
        this.warn = warn;
        this.keys = keys;
        WebClientConfig.Builder b = WebClient.builder()
                .baseUri(serverUrl)
                .connectTimeout(Duration.ofSeconds(5))
                // Watches are held up to a minute (plus jitter) by the server.
                .readTimeout(Duration.ofSeconds(120))
                .followRedirects(false);
        if (serverUrl.getScheme().equals("https")) {
            TlsConfig.Builder tls = Tls.builder();
            caFile.ifPresent(ca -> tls.trust(k -> k.pem(p -> p.certificates(Resource.create(ca)))));
            if (certFile.isPresent()) {
                tls.privateKey(k -> k.pem(p -> p.key(Resource.create(keyFile.orElseThrow()))))
                        .privateKeyCertChain(k -> k.pem(p -> p.certChain(Resource.create(certFile.get()))));
            }
            b.tls(tls.build());
        }
        this.http = b.build();
        this.sink = sink;
        this.collectorId = collectorId;
        this.refreshToken = refreshToken;
    }

    /**
     * Reports an older configuration schema version in the facts than this agent's own, as an
     * agent of an earlier release would: for the fleet simulator's rolling upgrade, where the
     * server must see part of the fleet as not knowing the newest keys.
     *
     * @param version a schema version from 1 to this agent's own
     * @return this client
     */
    public ServerClient reportingSchemaVersion(int version) {
        if (version < 1 || version > ConfigSchema.VERSION) {
            throw new IllegalArgumentException("schema version 1.." + ConfigSchema.VERSION + ", got " + version);
        }
        this.schemaVersion = version;
        return this;
    }

    /**
     * Gives every request this long instead of {@link #ANSWER_DEADLINE}: for tests that play a server
     * trickling its answer.
     *
     * @param deadline the longest one request may take (a watch: beyond the seconds it is held)
     * @return this client
     */
    public ServerClient answeringWithin(Duration deadline) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("a deadline is positive, got " + deadline);
        }
        this.answerDeadline = deadline;
        return this;
    }

    @Override
    public Optional<String> collectorId() {
        return collectorId.isEmpty() ? Optional.empty() : Optional.of(collectorId);
    }

    @Override
    public String register(Credential credential, String name, String hostname, Map<String, String> labels)
            throws ServerException {
        if (!collectorId.isEmpty() && credential instanceof Credential.Secret) {
            // A known agent never becomes a second collector.
            throw new ServerException(ServerException.Kind.REJECTED, "this agent is collector " + collectorId
                    + "; only an enrolment token for that id re-binds it", null);
        }
        JsonObjectBuilder l = Json.createObjectBuilder();
        labels.forEach(l::add);
        String body = Json.createObjectBuilder().add("name", name).add("hostname", hostname).add("labels", l).build().toString();
        // Kept until the identity it obtains is: the same key goes with every attempt, across restarts.
        String key = registrationKey();
        JsonObject answer;
        try {
            answer = call(() -> {
            HttpClientRequest r = oneOff(http.post("/api/v1/collectors/register")).header(HeaderNames.CONTENT_TYPE, "application/json")
                    .header(IDEMPOTENCY_KEY, key);
            switch (credential) {
                case Credential.Secret s -> r.header(HeaderNames.create("X-Registration-Secret"), s.secret());
                case Credential.Token t -> r.header(HeaderNames.create("X-Enrolment-Token"), t.token());
            }
            if (!collectorId.isEmpty()) {
                // The server then refuses a token issued for another collector and leaves it unused.
                r.header(HeaderNames.create("X-Collector-Id"), collectorId);
            }
            return r.submit(body);
            }, 201, "registration", ServerException.Kind.UNAUTHORIZED);
        } catch (ServerException e) {
            if (e.kind() == ServerException.Kind.REJECTED && e.getMessage().contains("idempotency-key-reused")) {
                // An attempt with other settings (name, host, labels) registered with this key and its
                // answer was lost: that collector cannot be claimed back, so the next attempt starts anew.
                forgetKey();
                throw new ServerException(ServerException.Kind.REJECTED, "an earlier registration attempt with other"
                        + " settings (name, hostname or labels) succeeded but its answer was lost; the collector it"
                        + " created may show in the fleet without an agent (decommission it). The next attempt"
                        + " registers anew", e);
            }
            if (e.kind() == ServerException.Kind.UNAUTHORIZED && e.getMessage().contains("registration-key-outlived")) {
                // The registration whose answer was lost made a collector that is no longer this
                // host's (revoked, or enrolled on another host since): the key would be refused until
                // it expires, while the credential may be fine. Forgotten, so the next attempt is new.
                forgetKey();
                throw new ServerException(ServerException.Kind.REJECTED, "an earlier registration attempt of this"
                        + " host succeeded but its answer was lost, and the collector it made has been revoked or"
                        + " enrolled on another host since; it is not taken back. The next attempt registers anew", e);
            }
            throw e;
        }
        // Not getString: an answer without the id, or with one that is not a string, is refused like a bad id.
        String id = answer.get(answer.containsKey("collector_id") ? "collector_id" : "subject")
                instanceof jakarta.json.JsonString text ? text.getString() : "";
        try {
            // The id goes into every request's path and into the identity file: only a real one.
            io.pgfleet.domain.collector.CollectorId.of(id);
        } catch (IllegalArgumentException e) {
            throw new ServerException(ServerException.Kind.UNAVAILABLE, "the server's registration answer names no valid"
                    + " collector id (" + e.getMessage() + "); nothing of it is kept", null);
        }
        if (!collectorId.isEmpty() && !collectorId.equals(id)) {
            throw new ServerException(ServerException.Kind.REJECTED, "the enrolment token is for collector " + id
                    + ", not for this agent's collector " + collectorId + "; it is not used", null);
        }
        tokens(answer, id, "registration answer");
        synchronized (refreshLock) {
            if (!unsaved) {
                // The identity is on disk: a later registration (a re-enrolment) is a new series.
                forgetKey();
            }
        }
        return id;
    }

    private String registrationKey() {
        try {
            return keys.registrationKey();
        } catch (RuntimeException e) {
            // A state directory that refuses the key does not stop the registration (as it does not stop
            // the use of new tokens): the key lives in memory, and retries within this process reuse it.
            warn.accept("could not keep the registration key in the state directory (" + e.getMessage() + "); a"
                    + " restart before the registration is answered may register this host a second time");
            return unkeptKeys.registrationKey();
        }
    }

    private void forgetKey() {
        unkeptKeys.forgetRegistrationKey();
        try {
            keys.forgetRegistrationKey();
        } catch (RuntimeException e) {
            // A key left behind is harmless: the identity is kept, so the agent does not register again.
            warn.accept("could not delete the registration key from the state directory (" + e.getMessage() + ")");
        }
    }

    /** The most characters of a token the agent takes from the server (its tokens are a few hundred). */
    static final int MAX_TOKEN_LENGTH = 4096;

    /**
     * What a watch leaves of its access token's life beyond the longest hold: the server answers up
     * to 50 ms after the hold, the answer travels, the token's life is counted from when the agent
     * got it (after the server issued it), and this host's clock may run a little fast.
     */
    static final Duration TOKEN_MARGIN = Duration.ofSeconds(2);

    /**
     * An access token's expiry and lifetime on {@link System#nanoTime()}: counted from when the
     * answer that carried it came, with the lifetime the server gave ({@code expires_in}), so that
     * neither this host's wall clock nor its distance from the server's matters.
     */
    private record AccessLife(long expiresAt, long lifetime) {
        private long left() {
            return expiresAt - System.nanoTime();
        }
    }

    /** The longest the server holds a watch asked for so many seconds: those and up to a tenth more. */
    private static long heldNanos(int seconds) {
        return seconds * 1_100_000_000L;
    }

    /**
     * Before a watch: an access token that would expire during the hold is refreshed first, unless
     * it is about as fresh as a new one (a server whose tokens live shorter than the hold: the watch
     * is then shortened instead, {@link #watchSeconds}). Single-flight with the other lane's
     * refreshes, like a refresh after a 401.
     */
    private void freshEnoughFor(int seconds) throws ServerException {
        String used = accessToken;
        AccessLife life = accessLife;
        if (seconds == 0 || used.isEmpty() || life == null) {
            return;
        }
        long left = life.left();
        if (left >= heldNanos(seconds) + TOKEN_MARGIN.toNanos() || left > life.lifetime() - TOKEN_MARGIN.toNanos()) {
            return;
        }
        refresh(used);
    }

    /**
     * The seconds a watch asks the server to hold it: those the core asked for, or fewer when the
     * access token would expire before that hold ends (at least 1: a watch still).
     */
    private int watchSeconds(int asked) {
        AccessLife life = accessLife;
        if (asked == 0 || life == null) {
            return asked;
        }
        long fits = (life.left() - TOKEN_MARGIN.toNanos()) / heldNanos(1);
        return (int) Math.max(1, Math.min(asked, fits));
    }

    /** The lifetime an answer gives its access token ({@code expires_in}, seconds), if it gives a usable one. */
    private static Optional<Duration> lifetime(JsonObject answer) {
        if (answer.get("expires_in") instanceof jakarta.json.JsonNumber n && n.isIntegral()
                && n.bigIntegerValue().signum() > 0 && n.bigIntegerValue().bitLength() < 32) {
            return Optional.of(Duration.ofSeconds(n.longValue()));
        }
        return Optional.empty();
    }

    private void tokens(JsonObject answer, String id, String what) throws ServerException {
        long received = System.nanoTime();
        String access = token(answer, "access_token", what);
        String refresh = token(answer, "refresh_token", what);
        AccessLife life = lifetime(answer).map(l -> new AccessLife(received + l.toNanos(), l.toNanos())).orElse(null);
        synchronized (refreshLock) {
            // Kept on disk first: if the agent stops right after, it restarts with the newest token.
            // A disk that refuses it does not stop its use: the server has rotated the old token
            // already, so dropping the new pair would only burn the family once the reuse grace ends.
            try {
                sink.save(id, refresh);
                unsaved = false;
            } catch (RuntimeException e) {
                unsaved = true;
                warn.accept("could not keep the new refresh token in the state directory (" + e.getMessage()
                        + (e.getCause() != null ? ": " + e.getCause().getMessage() : "") + "); it is used from memory"
                        + " and written as soon as the directory takes it. Until then a restart of the agent loses its"
                        + " identity (an operator would have to re-bind it with an enrolment token)");
            }
            collectorId = id;
            refreshToken = refresh;
            accessLife = life;
            accessToken = access;
        }
    }

    /**
     * A token of an answer: visible ASCII, at most {@value #MAX_TOKEN_LENGTH} characters. An empty
     * token would lock the agent out at its next refresh, and a line break would write a key of its
     * own into the identity file.
     */
    private static String token(JsonObject answer, String name, String what) throws ServerException {
        String t = answer.get(name) instanceof jakarta.json.JsonString text ? text.getString() : "";
        if (t.isEmpty() || t.length() > MAX_TOKEN_LENGTH || !t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ServerException(ServerException.Kind.UNAVAILABLE, "the server's " + what + " holds no usable "
                    + name + " (empty, too long, or not visible ASCII); nothing of it is kept", null);
        }
        return t;
    }

    /** Writes a pair the state directory refused before, once it takes it. */
    private void keepUnsaved() {
        synchronized (refreshLock) {
            if (!unsaved) {
                return;
            }
            try {
                sink.save(collectorId, refreshToken);
                unsaved = false;
                // Kept while the identity was in memory only, so that a restart would claim it back.
                forgetKey();
                warn.accept("the refresh token is kept in the state directory again");
            } catch (RuntimeException e) {
                // still refused; said once already, tried again on the next request
            }
        }
    }

    @Override
    public Fetch fetch(Request request) throws ServerException {
        try {
            return fetchOnce(request);
        } catch (WatchAborted e) {
            return new Fetch.Aborted();
        } finally {
            synchronized (watchLock) {
                watchAborted = false;
            }
        }
    }

    /**
     * Ends the watch under way: its exchange's own thread is interrupted (which closes its socket,
     * so the server sees the connection go and nothing is left behind) and the lane that waited for
     * it gets {@link Fetch.Aborted}. A plain pull, a token refresh, a registration, a report or a
     * push is never cut: a push or a refresh half done could leave the server and the agent
     * disagreeing, while a watch changes nothing on the server.
     */
    @Override
    public void abortWatch() {
        synchronized (watchLock) {
            watchAborted = true;
            watchExchange.ifPresent(w -> w.cancel(true));
        }
    }

    private Fetch fetchOnce(Request request) throws ServerException {
        String path = "/api/v1/config/" + collectorId;
        Duration timeout = Duration.ofSeconds(request.watchSeconds() + 30L);
        // A token that expired during the hold would be answered 401 at its end, and a retry after a
        // refresh held as long again: the hold is spent for nothing, or the pull even fails.
        freshEnoughFor(request.watchSeconds());
        return authorized(answerDeadline.plusSeconds(request.watchSeconds()), "configuration pull",
                request.watchSeconds() > 0, () -> {
            HttpClientRequest r = bearer(http.get(path)).readTimeout(timeout);
            if (request.watchSeconds() == 0) {
                oneOff(r);
            }
            if (request.watchSeconds() > 0 || request.after() > 0) {
                // The next watch follows as soon as this one returns: it reuses the connection. A pull
                // (wait=0) says what the agent has too: a server whose history is older than the
                // agent's answers with what it has, checked against its database (see docs/watch.md).
                // Per attempt: the retry after a refresh asks with the new token's life.
                r.queryParam("wait", Integer.toString(watchSeconds(request.watchSeconds())))
                        .queryParam("after", Integer.toString(request.after()));
            }
            if (!request.etag().isEmpty()) {
                r.header(HeaderNames.IF_NONE_MATCH, request.etag());
            }
            return r.request();
        }, response -> {
            int status = response.status().code();
            if (status == 304) {
                // What the server has now: the agent compares it with what it runs (a restored server
                // may have other documents under the numbers the agent knows).
                int version = version(response.headers().first(CONFIG_VERSION)).orElse(0);
                return new Fetch.NotModified(version, version == 0 ? "" : response.headers().first(HeaderNames.ETAG).orElse(""));
            }
            if (status == 404) {
                String text = failedBody(response);
                if (serversProblem(response, text).isEmpty()) {
                    // A proxy's 404 (a route it does not know) says nothing about this collector's configuration.
                    throw new Failure(notTheServers(response, text, "configuration pull"));
                }
                return new Fetch.NoConfiguration();
            }
            if (status != 200) {
                throw failure(response, "configuration pull");
            }
            Optional<String> header = response.headers().first(CONFIG_VERSION);
            // A version the agent could not ask after (0, negative, beyond an int) would stop its
            // watches or pin it: refused like any other unusable answer.
            int version = version(header).orElseThrow(() -> new Failure(new ServerException(ServerException.Kind.UNAVAILABLE,
                    "configuration pull: the answer's X-Config-Version is " + header.map(h -> "'" + printable(h) + "'")
                            .orElse("missing") + ", not a version (1 to " + Integer.MAX_VALUE + ")", null)));
            // The server never encodes an answer the agent did not ask to be encoded: a body that
            // says it is (a proxy's doing) is not the document, whatever it would parse as.
            Optional<String> coding = response.headers().first(HeaderNames.CONTENT_ENCODING).map(String::strip)
                    .filter(c -> !c.isEmpty() && !c.equalsIgnoreCase("identity"));
            if (coding.isPresent()) {
                throw new Failure(new ServerException(ServerException.Kind.UNAVAILABLE, "configuration pull: the answer"
                        + " came with Content-Encoding '" + printable(coding.get()) + "', which the agent did not ask"
                        + " for; it is not taken as a document (a proxy between the agent and the server?)", null));
            }
            String etag = response.headers().first(HeaderNames.ETAG).orElse("");
            String document = body(response, MAX_DOCUMENT_BYTES, "configuration");
            if (!matchesItsTag(document, etag)) {
                // Damaged on the way (cut short, rewritten by a middlebox): a failed pull, retried like
                // an unreachable server — never a version that fails on this host, nor one applied.
                throw new Failure(new ServerException(ServerException.Kind.UNAVAILABLE, "configuration pull: the"
                        + " document of version " + version + " does not match its ETag " + printable(etag) + " ("
                        + document.getBytes(StandardCharsets.UTF_8).length + " bytes): it was changed or cut short on"
                        + " the way, and is not taken", null));
            }
            return new Fetch.Fetched(version, etag, document);
        });
    }

    /**
     * Whether a document is the one its ETag names. The server's tags are {@code "<version>-<the
     * first 16 hex digits of the SHA-256 of the document>"}; a tag of another form (a proxy that
     * rewrote it) cannot be checked, and the document is taken as before.
     *
     * @param document the body, as read
     * @param etag     the ETag header, as sent
     * @return false only when the tag carries a hash and the document's differs
     */
    static boolean matchesItsTag(String document, String etag) {
        String tag = etag.strip();
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        if (tag.length() < 2 || !tag.startsWith("\"") || !tag.endsWith("\"")) {
            return true;
        }
        tag = tag.substring(1, tag.length() - 1);
        int dash = tag.lastIndexOf('-');
        String hash = dash < 0 ? "" : tag.substring(dash + 1);
        if (hash.length() != 16 || !hash.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            return true;
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(document.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8).equals(hash);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static final io.helidon.http.HeaderName CONFIG_VERSION = HeaderNames.create("X-Config-Version");

    /** A version as the server numbers them (1 or more), if the header is one. */
    private static Optional<Integer> version(Optional<String> header) {
        try {
            return header.map(String::strip).map(Integer::parseInt).filter(v -> v >= 1);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void report(Report report) throws ServerException {
        AllowLists a = report.allowLists();
        String body = Json.createObjectBuilder().add("version", report.version()).add("status", report.status().name())
                .add("error", report.error()).add("effective_sha256", report.effectiveSha256())
                .add("agent_version", AGENT_VERSION)
                .add("allow_lists", Json.createObjectBuilder()
                        .add("password_dirs", Json.createArrayBuilder(a.passwordDirs()))
                        .add("password_env", Json.createArrayBuilder(a.passwordEnv()))
                        .add("hosts", Json.createArrayBuilder(a.hosts())))
                .add("facts", facts(report, schemaVersion))
                .build().toString();
        authorized(answerDeadline, "status report", false, () -> bearer(oneOff(http.post("/api/v1/collectors/" + collectorId + "/status")))
                .header(HeaderNames.CONTENT_TYPE, "application/json").submit(body), response -> {
            if (response.status().code() != 204) {
                throw failure(response, "status report");
            }
            return null;
        });
    }

    @Override
    public void push(String batchId, List<Sample> samples) throws ServerException {
        JsonArrayBuilder a = Json.createArrayBuilder();
        for (Sample s : samples) {
            JsonObjectBuilder labels = Json.createObjectBuilder();
            s.labels().forEach(labels::add);
            a.add(Json.createObjectBuilder().add("name", s.name()).add("labels", labels).add("value", s.value())
                    .add("ts", s.ts().toString()));
        }
        String body = Json.createObjectBuilder().add("batch_id", batchId).add("samples", a).build().toString();
        authorized(answerDeadline, "push", false, () -> bearer(oneOff(http.post("/api/v1/metrics/push"))).header(HeaderNames.CONTENT_TYPE, "application/json")
                .submit(body), response -> {
            if (response.status().code() != 202) {
                throw failure(response, "push");
            }
            return null;
        });
    }

    /**
     * An answer's body, read up to a limit: whatever a server, a proxy or a captive portal sends, the
     * agent (16 MB of heap) never holds more than this of it. An answer past the limit is a failure.
     */
    private static String body(HttpClientResponse response, int limit, String what) {
        try (InputStream in = response.inputStream()) {
            byte[] b = in.readNBytes(limit + 1);
            if (b.length > limit) {
                throw new Failure(new ServerException(ServerException.Kind.UNAVAILABLE, "the " + what
                        + " answer is larger than " + limit / 1024 + " KiB; it is not read", null));
            }
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String excerpt(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    /**
     * A failed answer's body: whole up to a registration answer's bytes when it says it is a problem
     * document (the server's details run to 2,000 characters, written escaped), so that it can be
     * read as one; else its first {@value #ERROR_EXCERPT_BYTES} bytes, for the log. The rest is never read.
     */
    private static String failedBody(HttpClientResponse response) {
        boolean problem = contentType(response).map(t -> t.split(";", 2)[0].strip())
                .filter(t -> t.equalsIgnoreCase(Problem.MEDIA_TYPE)).isPresent();
        try (InputStream in = response.inputStream()) {
            return new String(in.readNBytes(problem ? MAX_JSON_BYTES : ERROR_EXCERPT_BYTES), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "(no readable body)";
        }
    }

    /**
     * A failed answer: 413 too large; 429 (overloaded) and 5xx try again later, after the server's
     * {@code Retry-After} if it gave one; a redirect too (below); another 4xx is never accepted when
     * it is the server's problem document, and is a failure retried like a 5xx when it is not (a
     * proxy's or a WAF's page says nothing about the request).
     */
    private static Failure failure(HttpClientResponse response, String what) {
        int code = response.status().code();
        if (isRedirect(code)) {
            return new Failure(redirected(response, what));
        }
        String text = failedBody(response);
        if (code == 413) {
            // Too large for the server or for a proxy in front of it: either takes smaller requests.
            return new Failure(new ServerException(ServerException.Kind.TOO_LARGE, what + " answered " + code + ": "
                    + excerpt(text), null, retryAfter(response)));
        }
        if (code == 429 || code >= 500) {
            return new Failure(new ServerException(ServerException.Kind.UNAVAILABLE, what + " answered " + code + ": "
                    + excerpt(text), null, retryAfter(response)));
        }
        if (serversProblem(response, text).isEmpty()) {
            return new Failure(notTheServers(response, text, what));
        }
        return new Failure(new ServerException(ServerException.Kind.REJECTED, what + " answered " + code + ": "
                + excerpt(text), null, retryAfter(response)));
    }

    private static boolean isRedirect(int code) {
        return code >= 300 && code < 400;
    }

    /**
     * A redirect is never followed: the agent's token (or registration secret) goes to
     * {@code server_url} only, never to wherever an answer points. Nor is it the server refusing
     * the request: a proxy moving plain HTTP to HTTPS or to another host says nothing about the
     * samples, which would otherwise be dropped batch after batch. So it is a failure that is
     * retried (with back-off), and the log names the remedy.
     */
    private static ServerException redirected(HttpClientResponse response, String what) {
        String location = response.headers().first(HeaderNames.LOCATION).map(ServerClient::printable).orElse("nowhere");
        return new ServerException(ServerException.Kind.UNAVAILABLE, what + " answered " + response.status().code()
                + ", a redirect to " + location + ", which is not followed (the agent sends its credentials to"
                + " server_url only); if the server moved, correct server_url in the agent's local file", null,
                retryAfter(response));
    }

    /** A header value for the log: control characters dropped, at most 200 characters. */
    private static String printable(String value) {
        String p = value.replaceAll("\\p{C}", "");
        return p.length() > 200 ? p.substring(0, 200) + "…" : p;
    }

    /** The {@code Retry-After} of an answer in seconds (the form pgfleet sends); a date or garbage says nothing. */
    static Optional<Duration> retryAfter(HttpClientResponse response) {
        return response.headers().first(HeaderNames.RETRY_AFTER).flatMap(ServerClient::retryAfterSeconds);
    }

    static Optional<Duration> retryAfterSeconds(String value) {
        String v = value.strip();
        if (v.isEmpty() || v.length() > 9 || !v.chars().allMatch(Character::isDigit)) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
    }

    /** Carries a {@link ServerException} out of a response handler. */
    private static final class Failure extends RuntimeException {
        private final ServerException exception;

        private Failure(ServerException exception) {
            super(exception.getMessage(), null, false, false);
            this.exception = exception;
        }
    }

    /** What one authorised exchange came to: the handler's value, or a 401. */
    private record Answer<T>(boolean unauthorized, T value) {
    }

    /**
     * One request with the access token, refreshed once on a 401. A {@code watch} can be ended by
     * {@link #abortWatch()} (each of its attempts, not the refresh between them).
     */
    private <T> T authorized(Duration deadline, String what, boolean watch, Supplier<HttpClientResponse> request,
                             Function<HttpClientResponse, T> handler) throws ServerException {
        keepUnsaved();
        for (int attempt = 0; attempt < 2; attempt++) {
            String used = accessToken;
            Answer<T> answer = within(deadline, what, watch, () -> {
                try (HttpClientResponse response = send(request)) {
                    if (response.status().code() == 401) {
                        String text = failedBody(response);
                        if (serversProblem(response, text).isEmpty()) {
                            // A gateway's 401 is not about the access token: refreshing through it would
                            // only rotate the pair (or meet the same page and be taken for a refusal).
                            throw notTheServers(response, text, what);
                        }
                        return new Answer<T>(true, null);
                    }
                    try {
                        return new Answer<>(false, handler.apply(response));
                    } catch (Failure f) {
                        throw f.exception;
                    } catch (RuntimeException e) {
                        throw new ServerException(ServerException.Kind.UNAVAILABLE, what + ": " + why(e), e);
                    }
                }
            });
            if (!answer.unauthorized()) {
                return answer.value();
            }
            if (attempt == 0) {
                refresh(used);
            }
        }
        throw new ServerException(ServerException.Kind.UNAUTHORIZED,
                "the server refuses this agent's tokens (401 after a refresh)", null);
    }

    /** An exchange that ends in a {@link ServerException} or a value. */
    private interface Exchange<T> {
        T run() throws ServerException;
    }

    /** A watch ended by {@link #abortWatch()}: carried out of {@link #authorized} to {@link #fetch}. */
    private static final class WatchAborted extends RuntimeException {
        private WatchAborted() {
            super("the watch was ended by the agent", null, false, false);
        }
    }

    /** How long an ended watch's exchange is given to let go of its connection. */
    private static final Duration ABORTED_EXCHANGE_END = Duration.ofSeconds(5);

    /**
     * Runs one exchange (connect, send, read the whole answer) on a virtual thread of its own and
     * abandons it at the deadline. Interrupting a virtual thread blocked in a socket read closes the
     * socket, so the abandoned exchange ends too and holds nothing; the lane that waited goes on
     * with a failure (retried with back-off like an unreachable server). A {@code watch} is also
     * ended by {@link #abortWatch()}, the same way, and throws {@link WatchAborted}.
     */
    private <T> T within(Duration deadline, String what, boolean watch, Exchange<T> exchange) throws ServerException {
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(exchange::run);
        if (watch) {
            synchronized (watchLock) {
                if (watchAborted) {
                    // Ended before it began: not sent at all.
                    throw new WatchAborted();
                }
                watchExchange = Optional.of(task);
            }
        }
        Thread thread = Thread.ofVirtual().name("agent-request").start(task);
        try {
            return task.get(deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.CancellationException e) {
            // Only abortWatch cancels. Cancelling interrupted the exchange's thread, never this one;
            // waiting for it to end means its connection is closed before the next watch begins.
            try {
                if (!thread.join(ABORTED_EXCHANGE_END)) {
                    warn.accept(what + ": the ended watch's request did not stop within "
                            + ABORTED_EXCHANGE_END.toSeconds() + " s; it is left to end on its own");
                }
            } catch (InterruptedException stopping) {
                Thread.currentThread().interrupt();
                throw new ServerException(ServerException.Kind.UNAVAILABLE, what + ": interrupted", stopping);
            }
            throw new WatchAborted();
        } catch (java.util.concurrent.TimeoutException e) {
            thread.interrupt();
            throw new ServerException(ServerException.Kind.UNAVAILABLE, what + ": no complete answer within "
                    + deadline.toSeconds() + " s (the server or the network sends it too slowly, or without end); the"
                    + " request is abandoned", null);
        } catch (InterruptedException e) {
            // The agent is stopping: the request ends with it.
            thread.interrupt();
            Thread.currentThread().interrupt();
            throw new ServerException(ServerException.Kind.UNAVAILABLE, what + ": interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            switch (e.getCause()) {
                case ServerException se -> throw se;
                case RuntimeException re -> throw re;
                case Error err -> throw err;
                default -> throw new ServerException(ServerException.Kind.UNAVAILABLE, what + ": " + e.getCause(), e.getCause());
            }
        } finally {
            if (watch) {
                synchronized (watchLock) {
                    watchExchange = Optional.empty();
                }
            }
        }
    }

    /**
     * What went wrong with an exchange, in words: the exception's own message when it has one (the
     * HTTP client's for a connection closed mid-answer has none, which the log showed as "null"),
     * else what its kind means, else its kind.
     */
    static String why(Throwable e) {
        String tls = tlsFailure(e);
        if (tls != null) {
            return tls;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.EOFException || t instanceof java.nio.channels.ClosedChannelException
                    || t.getClass().getSimpleName().equals("InsufficientDataAvailableException")) {
                return "the connection was closed before the answer was complete";
            }
            if (t instanceof java.net.SocketTimeoutException) {
                return "no answer in time";
            }
            if (t instanceof java.net.ConnectException) {
                return "connection refused" + (t.getMessage() == null ? "" : " (" + t.getMessage() + ")");
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }

    /**
     * A failed TLS handshake in words an operator can act on, or null when the failure is not one. The
     * HTTP client wraps it as "Failed to execute SSL handshake", which says neither what was wrong
     * with the server's certificate nor which key of the local file fixes it; the cause underneath
     * does (a certificate no trusted CA signed, one for another name, one expired).
     */
    private static String tlsFailure(Throwable e) {
        boolean handshake = false;
        Throwable root = e;
        int depth = 0;
        for (Throwable t = e; t != null && depth < 32; t = t.getCause(), depth++) {
            handshake |= t instanceof javax.net.ssl.SSLException
                    || String.valueOf(t.getMessage()).contains("SSL handshake");
            root = t;
        }
        if (!handshake) {
            return null;
        }
        String detail = root.getMessage() == null || root.getMessage().isBlank()
                ? root.getClass().getSimpleName() : root.getMessage();
        String words = "the TLS handshake with the server failed: ";
        if (root instanceof java.security.cert.CertificateExpiredException
                || root instanceof java.security.cert.CertificateNotYetValidException
                || detail.contains("validity check failed")) {
            return words + "its certificate is out of its validity period (" + detail + "); the server needs a"
                    + " current certificate (or this host's clock is wrong)";
        }
        if (detail.contains("subject alternative") || detail.contains("No name matching")) {
            return words + "its certificate does not name the host in server_url (" + detail + "); write server_url"
                    + " with a name the certificate holds, or give the server a certificate for this name";
        }
        if (detail.contains("PKIX") || root instanceof java.security.cert.CertPathValidatorException
                || root.getClass().getSimpleName().equals("SunCertPathBuilderException")) {
            return words + "its certificate is not signed by a CA this agent trusts (" + detail + "); set [tls] ca_file"
                    + " in the agent's local file to the CA that signed the server's certificate";
        }
        return words + detail + " (a server_url with https:// to a port that speaks plain HTTP, a proxy in the way,"
                + " or a client certificate the server refuses: [tls] cert_file and key_file)";
    }

    private static HttpClientResponse send(Supplier<HttpClientResponse> request) throws ServerException {
        try {
            return request.get();
        } catch (RuntimeException e) {
            throw new ServerException(ServerException.Kind.UNAVAILABLE, "cannot reach the server: " + why(e), e);
        }
    }

    /**
     * A request after which the connection is closed rather than kept in the client's pool. Only a
     * watch is followed at once by another request; after anything else the agent is idle for up to
     * a push or pull interval, and Helidon watches an idle pooled connection by reading it with a
     * 100 ms timeout until the read timeout (2 minutes) ends it: ten wake-ups and ten exceptions a
     * second, most of an idle agent's CPU. A new connection per push (a minute apart by default)
     * costs far less.
     */
    private static HttpClientRequest oneOff(HttpClientRequest r) {
        return r.keepAlive(false);
    }

    /** Adds the current access token; called inside each request supplier, so a retry carries the refreshed one. */
    private HttpClientRequest bearer(HttpClientRequest r) {
        return r.header(HeaderNames.AUTHORIZATION, "Bearer " + accessToken);
    }

    /**
     * Refreshes once for everyone: a caller whose rejected access token was already replaced by
     * another lane's refresh just retries with the new one.
     */
    private void refresh(String rejectedAccessToken) throws ServerException {
        synchronized (refreshLock) {
            if (!accessToken.equals(rejectedAccessToken)) {
                return;
            }
            String body = Json.createObjectBuilder().add("refresh_token", refreshToken).build().toString();
            JsonObject answer = call(() -> oneOff(http.post("/api/v1/auth/refresh")).header(HeaderNames.CONTENT_TYPE, "application/json")
                    .submit(body), 200, "token refresh", ServerException.Kind.IDENTITY_REFUSED);
            tokens(answer, collectorId, "token refresh answer");
        }
    }

    private JsonObject call(Supplier<HttpClientResponse> request, int expected, String what,
                            ServerException.Kind whenRefused) throws ServerException {
        return within(answerDeadline, what, false, () -> exchange(request, expected, what, whenRefused));
    }

    private static JsonObject exchange(Supplier<HttpClientResponse> request, int expected, String what,
                                       ServerException.Kind whenRefused) throws ServerException {
        try (HttpClientResponse r = send(request)) {
            int code = r.status().code();
            if (code != expected && isRedirect(code)) {
                throw redirected(r, what);
            }
            String text;
            try {
                // A refusal is read whole (up to a registration answer's bytes): its problem type matters.
                text = code == expected ? body(r, MAX_JSON_BYTES, what) : failedBody(r);
            } catch (Failure f) {
                throw f.exception;
            } catch (RuntimeException e) {
                throw new ServerException(ServerException.Kind.UNAVAILABLE, what + ": " + why(e), e);
            }
            if (code != expected) {
                if (code >= 500 || code == 429) {
                    // 429: the server is overloaded, not refusing this request; it is worth asking again.
                    throw new ServerException(ServerException.Kind.UNAVAILABLE, what + " answered " + code + ": "
                            + excerpt(text), null, retryAfter(r));
                }
                Optional<JsonObject> problem = serversProblem(r, text);
                if (problem.isEmpty()) {
                    // Not the server's word: refusing the identity, or taking the enrolment token as
                    // used, on a proxy's page would lock the agent out although the server never said so.
                    throw notTheServers(r, text, what);
                }
                if ((code == 401 || code == 403) && whenRefused == ServerException.Kind.IDENTITY_REFUSED
                        && problem.get().getString("type", "").equals(Problem.DECOMMISSIONED)) {
                    throw new ServerException(ServerException.Kind.DECOMMISSIONED,
                            problem.get().getString("detail", "the collector was decommissioned"), null);
                }
                throw new ServerException(code == 401 || code == 403 ? whenRefused : ServerException.Kind.REJECTED,
                        what + (code == 401 || code == 403 ? " refused " : " answered ") + inWords(code, problem.get()),
                        null, retryAfter(r));
            }
            try (JsonReader reader = Json.createReader(new StringReader(text))) {
                return reader.readObject();
            } catch (RuntimeException e) {
                throw new ServerException(ServerException.Kind.UNAVAILABLE, what + " answered " + code
                        + " with a body that is not the expected JSON object", e);
            }
        }
    }

    /**
     * The server's problem document in words for the log: its status and the short name of its type,
     * then its {@code detail} (else its {@code title}), as in {@code (401 unauthorized): the
     * registration secret or enrolment token is not accepted}. Not the JSON itself: an operator read
     * {@code {"type":…,"status":401,…}} and learnt nothing of what to do, and its {@code request_id},
     * new in every answer, made each attempt look like news.
     */
    static String inWords(int code, JsonObject problem) {
        String type = problem.getString("type", "");
        String detail = problem.get("detail") instanceof jakarta.json.JsonString d ? d.getString()
                : problem.get("title") instanceof jakarta.json.JsonString t ? t.getString() : "";
        return "(" + code + " " + printable(type.substring(Math.min(type.length(), Problem.TYPE_BASE.length())))
                + ")" + (detail.isBlank() ? "" : ": " + printable(detail));
    }

    /** What marks an answer as the server's own (docs/api.md: every error of the API is one of these). */
    private static final class Problem {
        /** The media type of the server's error answers. */
        static final String MEDIA_TYPE = "application/problem+json";
        /** What the {@code type} of every problem of the server begins with. */
        static final String TYPE_BASE = "https://pgfleet.io/problems/";
        /** The problem of a refresh token whose collector was decommissioned. */
        static final String DECOMMISSIONED = TYPE_BASE + "collector-decommissioned";

        private Problem() {
        }
    }

    /**
     * The server's problem document, when a failed answer is one: {@code Content-Type:
     * application/problem+json} and a JSON object whose {@code type} is under {@value Problem#TYPE_BASE},
     * as the server writes every refusal. A proxy, an auth gateway, a WAF or a load balancer between
     * the agent and the server answers with a page of its own (HTML, other JSON, nothing): that is
     * not the server refusing anything, and taking its status code as the server's verdict would
     * lock the agent out, burn an enrolment token or drop samples the server never saw.
     *
     * @param contentType the answer's {@code Content-Type}, if any
     * @param body        the answer's body as read
     * @return the problem document, or empty when the answer is not the server's refusal
     */
    static Optional<JsonObject> serversProblem(Optional<String> contentType, String body) {
        String mediaType = contentType.map(t -> t.split(";", 2)[0].strip()).orElse("");
        if (!mediaType.equalsIgnoreCase(Problem.MEDIA_TYPE)) {
            return Optional.empty();
        }
        try (JsonReader reader = Json.createReader(new StringReader(body))) {
            JsonObject problem = reader.readObject();
            return problem.get("type") instanceof jakarta.json.JsonString type
                    && type.getString().startsWith(Problem.TYPE_BASE) ? Optional.of(problem) : Optional.empty();
        } catch (RuntimeException e) {
            // Cut at the bytes read, or not JSON at all: not a problem the server wrote whole.
            return Optional.empty();
        }
    }

    private static Optional<JsonObject> serversProblem(HttpClientResponse response, String body) {
        return serversProblem(contentType(response), body);
    }

    private static Optional<String> contentType(HttpClientResponse response) {
        return response.headers().first(HeaderNames.CONTENT_TYPE);
    }

    /**
     * A 4xx that is not the server's problem document: a failure like an unreachable server, retried
     * with back-off, and the log says what answered (status, content type, first bytes).
     */
    private static ServerException notTheServers(HttpClientResponse response, String body, String what) {
        String shown = printable(body.strip());
        return new ServerException(ServerException.Kind.UNAVAILABLE, what + " answered " + response.status().code()
                + " with " + contentType(response).map(t -> "Content-Type " + printable(t)).orElse("no Content-Type")
                + (shown.isEmpty() ? " and no body" : ", beginning '" + shown + "'") + ", which is not the server's"
                + " refusal (the server's are " + Problem.MEDIA_TYPE + " of a type under " + Problem.TYPE_BASE
                + "): a proxy or gateway in the way? Taken as a failure and retried with back-off; nothing is given"
                + " up for it", null, retryAfter(response));
    }
}
