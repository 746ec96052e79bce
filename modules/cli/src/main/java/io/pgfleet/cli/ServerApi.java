package io.pgfleet.cli;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The server's HTTP API as the CLI uses it: the session's bearer token on every call (refreshed
 * ahead of its expiry, and once more on a {@code 401}), {@code Retry-After} honoured once on a
 * {@code 429}, and every failure turned into a one-line message with its {@link ExitCodes exit code}.
 */
final class ServerApi {

    /** Connecting longer than this means the server is not there. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** An ordinary request's longest wait for the answer. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** The longest {@code Retry-After} the CLI waits out before retrying once. */
    static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);
    /**
     * The largest answer read. The server's answers to the CLI are documents (at most 256 KiB),
     * history, audit and fleet pages, a few MiB at most; 16 MiB leaves room for them. Without a bound
     * an answer that never ends (a broken proxy, a hostile server) was read until the heap ran out,
     * and then said to be a server that cannot be reached. (Within the bound, an answer of many small
     * JSON values can still not fit in the launcher's 64 MiB heap as a tree: {@link Reply#json()}
     * says so the same way.)
     */
    static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;

    /**
     * An answer.
     *
     * @param status  HTTP status
     * @param headers its headers
     * @param body    its body
     */
    record Reply(int status, HttpHeaders headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        JsonNode json() {
            if (body.length == 0) {
                return MissingNode.getInstance();
            }
            try {
                return Output.JSON.readTree(body);
            } catch (JacksonException e) {
                throw new CliException(ExitCodes.UNAVAILABLE, "the server's answer (" + status + ") is not JSON");
            } catch (OutOfMemoryError e) {
                // Read as a tree, JSON takes several times its bytes, tens of times for many small
                // values: an answer within MAX_ANSWER_BYTES (not the server's: its answers are a few
                // MiB at most) can still exceed the launcher's heap. The tree is unreachable once this
                // is thrown, so the CLI says what came, as for an answer over the bound, and exits.
                throw new CliException(ExitCodes.UNAVAILABLE, "the server's answer (" + status + ", " + body.length
                        + " bytes) is too large to read within the CLI's memory (not the server's? a proxy in the way?)");
            }
        }

        boolean isProblem() {
            return header("Content-Type").orElse("").startsWith("application/problem+json");
        }

        /** The problem type's short name ({@code no-such-endpoint} …), or empty. */
        String problemSlug() {
            if (!isProblem()) {
                return "";
            }
            String type = json().path("type").asString("");
            return type.substring(type.lastIndexOf('/') + 1);
        }
    }

    /**
     * One request.
     *
     * @param method  HTTP method
     * @param path    path and query, e.g. {@code /api/v1/config/db-01}
     * @param headers request headers
     * @param body    request body, empty for none
     * @param timeout how long to wait for the answer
     */
    record Call(String method, String path, Map<String, String> headers, byte[] body, Duration timeout) {
        static Call get(String path) {
            return new Call("GET", path, Map.of(), new byte[0], REQUEST_TIMEOUT);
        }

        static Call json(String method, String path, JsonNode body) {
            return new Call(method, path, Map.of("Content-Type", "application/json"),
                    body.toString().getBytes(StandardCharsets.UTF_8), REQUEST_TIMEOUT);
        }

        Call header(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Call(method, path, h, body, timeout);
        }

        Call timeout(Duration other) {
            return new Call(method, path, headers, body, other);
        }
    }

    private final String base;
    private final HttpClient http;
    private final TokenCache cache;
    private final Supplier<Instant> clock;
    private final Context ctx;

    ServerApi(String base, Optional<SSLContext> tls, TokenCache cache, Context ctx) {
        this.base = usable(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER);
        tls.ifPresent(b::sslContext);
        this.http = b.build();
        this.cache = cache;
        this.clock = Instant::now;
        this.ctx = ctx;
    }

    String base() {
        return base;
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Calls as the logged-in user; a non-2xx/304 answer becomes a {@link CliException}. */
    Reply call(Call call) {
        return call(call, Set.of());
    }

    /**
     * Calls as the logged-in user.
     *
     * @param call    the request
     * @param handled statuses handed back to the caller instead of failing the command
     * @return a 2xx, 304 or handled answer
     */
    Reply call(Call call, Set<Integer> handled) {
        Session session = session();
        Reply r = sendWithRetryAfter(call, Optional.of(session.accessToken()));
        if (r.status() == 401) {
            // The token was refused although it looked valid (clock skew, rotated key): refresh once.
            session = refresh(session.accessToken());
            r = sendWithRetryAfter(call, Optional.of(session.accessToken()));
        }
        return checked(r, handled);
    }

    /** Calls without a token (logging in). */
    Reply callAnonymous(Call call, Set<Integer> handled) {
        return checked(sendWithRetryAfter(call, Optional.empty()), handled);
    }

    /** The cached session for this server, refreshed first when its access token is about to expire. */
    Session session() {
        Session s = cached();
        if (s.expiringAt(clock.get())) {
            s = refresh(s.accessToken());
        }
        return s;
    }

    /** The cached session for this server as it is on disk, asking the server nothing. */
    Session cached() {
        Session s = cache.load().orElseThrow(this::notLoggedIn);
        if (!sameServer(s.server(), base)) {
            throw new CliException(ExitCodes.AUTH, "logged in to " + s.server() + ", not " + base
                    + "; run: pgfleet login --server " + base);
        }
        return s;
    }

    /** No usable session: said as such when a session file is there but cannot be used. */
    private CliException notLoggedIn() {
        return new CliException(ExitCodes.AUTH, cache.damage()
                .map(why -> "the cached session " + cache.file() + " cannot be used (" + why + ")")
                .orElse("not logged in") + "; run: pgfleet login --server " + base);
    }

    /**
     * The session as the server sees it now: a refresh, whatever the access token's expiry, whose
     * answer names the user's current role (a demoted user's cached one is out of date).
     */
    Session confirmed() {
        return refresh(cached().accessToken(), true);
    }

    /**
     * Buys a new token pair with the cached refresh token, under the cache's lock. When another
     * process already replaced the pair that {@code stale} belonged to, its fresh pair is used and
     * nothing is spent.
     */
    Session refresh(String stale) {
        return refresh(stale, false);
    }

    private Session refresh(String stale, boolean always) {
        return cache.locked(() -> {
            Session current = cache.load().orElseThrow(this::notLoggedIn);
            if (!always && !current.accessToken().equals(stale) && !current.expiringAt(clock.get())) {
                return current;
            }
            Reply r = sendWithRetryAfter(Call.json("POST", "/api/v1/auth/refresh",
                    Output.JSON.createObjectNode().put("refresh_token", current.refreshToken())), Optional.empty());
            if (r.status() == 401) {
                cache.delete();
                throw new CliException(ExitCodes.AUTH, "the session has expired or was revoked; run: pgfleet login --server "
                        + current.server());
            }
            Session next = session(checked(r, Set.of()).json(), current.server());
            cache.save(next);
            return next;
        });
    }

    /**
     * What a logout did.
     *
     * @param hadSession     whether a session was cached
     * @param endedOnServer  whether the server ended it (its refresh and access tokens stop working
     *                       everywhere); false when it could not be told
     * @param why            why the server was not told, when it was not
     */
    record Logout(boolean hadSession, boolean endedOnServer, String why) {
    }

    /**
     * Ends the cached session on its server ({@code POST /api/v1/auth/logout}), then forgets it here,
     * under the cache's lock so that no other process spends its refresh token meanwhile. The
     * session is forgotten here whatever the server answers: a logout never leaves it cached. A
     * session stored for another server than this one is refused and kept.
     */
    Logout logout() {
        return cache.locked(() -> {
            Optional<Session> cached = cache.load();
            if (cached.isEmpty()) {
                // A damaged file holds nothing to end on a server; a logout does not leave it behind.
                if (cache.damage().isPresent()) {
                    cache.delete();
                }
                return new Logout(false, false, "");
            }
            Session s = cached.get();
            if (!sameServer(s.server(), base)) {
                // The session stored is another server's: forgetting it would leave its tokens valid
                // there without a word to it, and end nothing on the server named.
                throw new CliException(ExitCodes.AUTH, "not logged in to " + base + "; the session stored here is for "
                        + s.server() + " and is kept (to end it: pgfleet logout --server " + s.server() + ")");
            }
            boolean ended = false;
            String why = "";
            try {
                Reply r = send(Call.json("POST", "/api/v1/auth/logout",
                        Output.JSON.createObjectNode().put("refresh_token", s.refreshToken())), Optional.empty());
                ended = r.status() == 204;
                if (!ended) {
                    why = "the server answered " + r.status();
                }
            } catch (CliException e) {
                why = e.getMessage();
            }
            cache.delete();
            return new Logout(true, ended, why);
        });
    }

    /**
     * What storing a login's session did with the one it replaced.
     *
     * @param endedOnServer whether a session of this server was replaced and ended on it
     * @param left          a session left going on because it could not be ended here: its server,
     *                      and why (empty when none was)
     */
    record Replaced(boolean endedOnServer, Optional<String> left) {
    }

    /**
     * Caches the session a login began, under the cache's lock, and ends on the server the session
     * it replaces ({@code POST /api/v1/auth/logout}), as {@code logout} would: once replaced, its
     * refresh token is forgotten here, yet its family would stay open on the server for 30 days,
     * counted among the user's {@code sessions_per_user}, so that a script logging in at each run
     * would have its user's older sessions (an operator's at another desk) ended for the limit. A
     * session stored for another server is not ended (its TLS settings may not be these): said.
     */
    Replaced store(Session next) {
        return cache.locked(() -> {
            Optional<Session> old = cache.load();
            // Saved first: a CLI stopped half-way leaves the new session usable, not none.
            cache.save(next);
            if (old.isEmpty() || old.get().refreshToken().equals(next.refreshToken())) {
                return new Replaced(false, Optional.empty());
            }
            Session s = old.get();
            if (!sameServer(s.server(), base)) {
                return new Replaced(false, Optional.of(s.server() + " (another server than this login's)"));
            }
            String why;
            try {
                Reply r = send(Call.json("POST", "/api/v1/auth/logout",
                        Output.JSON.createObjectNode().put("refresh_token", s.refreshToken())), Optional.empty());
                if (r.status() == 204) {
                    return new Replaced(true, Optional.empty());
                }
                why = "the server answered " + r.status();
            } catch (CliException e) {
                why = e.getMessage();
            }
            return new Replaced(false, Optional.of(s.server() + " (" + why + ")"));
        });
    }

    /** A session from a login or refresh answer. */
    Session session(JsonNode tokens, String server) {
        if (!tokens.path("access_token").isString() || tokens.path("access_token").asString().isEmpty()
                || !tokens.path("refresh_token").isString() || tokens.path("refresh_token").asString().isEmpty()) {
            // A 304, an odd 2xx or a look-alike answering {} was cached as a session of empty tokens
            // and said "Logged in".
            throw new CliException(ExitCodes.UNAVAILABLE, "the answer of " + server
                    + " holds no access and refresh token: it is not the server's (is " + server + " the server's URL?)");
        }
        Instant now = clock.get();
        Instant expiresAt;
        try {
            expiresAt = Instant.parse(tokens.path("expires_at").asString());
        } catch (DateTimeParseException e) {
            expiresAt = now.plusSeconds(tokens.path("expires_in").asLong(60));
        }
        return new Session(server, tokens.path("subject").asString(), tokens.path("role").asString(),
                tokens.path("access_token").asString(), now, expiresAt, tokens.path("refresh_token").asString());
    }

    private static boolean sameServer(String a, String b) {
        return strip(a).equalsIgnoreCase(strip(b));
    }

    private static String strip(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private Reply sendWithRetryAfter(Call call, Optional<String> token) {
        Reply r = send(call, token);
        if (r.status() == 429) {
            Duration wait = retryAfter(r).orElse(Duration.ofSeconds(1));
            if (wait.compareTo(MAX_RETRY_AFTER) > 0) {
                throw new CliException(ExitCodes.RATE_LIMITED, "rate-limited by the server; it asks to wait "
                        + wait.toSeconds() + " s, more than " + MAX_RETRY_AFTER.toSeconds() + " s");
            }
            ctx.err().println("pgfleet: rate-limited; retrying in " + Math.max(1, wait.toSeconds()) + " s");
            ctx.err().flush();
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.RATE_LIMITED, "interrupted while waiting out a rate limit");
            }
            r = send(call, token);
        }
        return r;
    }

    static Optional<Duration> retryAfter(Reply r) {
        Optional<String> h = r.header("Retry-After");
        if (h.isEmpty()) {
            return Optional.empty();
        }
        String v = h.get().trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration d = Duration.between(Instant.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
    }

    /**
     * The server's URL, refused before anything else when it cannot be one: every command would
     * otherwise get as far as the session and answer "not logged in; run: pgfleet login --server
     * URL", a login that is then refused for the same URL; a port past 65535 would be refused by
     * the HTTP client with its own words. A query or a fragment would swallow the API's paths
     * appended to it, and a user and password in it are never sent.
     */
    private static String usable(String base) {
        URI uri;
        try {
            uri = new URI(base);
        } catch (java.net.URISyntaxException e) {
            throw new CliException(ExitCodes.USAGE, "not a usable server URL: " + base);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new CliException(ExitCodes.USAGE, "not a usable server URL: " + base + " (http:// or https:// and a host)");
        }
        if (uri.getRawUserInfo() != null) {
            // Never sent (the API takes a login), yet kept in the session file and quoted: not repeated here.
            throw new CliException(ExitCodes.USAGE, "not a usable server URL: " + uri.getScheme() + "://…@"
                    + uri.getRawAuthority().substring(uri.getRawAuthority().lastIndexOf('@') + 1)
                    + " (no user or password in it: log in with --username)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            // The API's paths are appended to it: after a '?' or a '#' they would be no path at all.
            throw new CliException(ExitCodes.USAGE, "not a usable server URL: " + base + " ("
                    + (uri.getRawQuery() != null ? "no query" : "no fragment") + " in it: the API's paths are appended to it)");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new CliException(ExitCodes.USAGE, "not a usable server URL: " + base + " (a port is 1..65535)");
        }
        return base;
    }

    private Reply send(Call call, Optional<String> token) {
        URI uri;
        try {
            uri = URI.create(base + call.path());
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "not a usable server URL: " + base);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new CliException(ExitCodes.USAGE, "not a usable server URL: " + base + " (http:// or https:// and a host)");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(call.timeout())
                .method(call.method(), call.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(call.body()));
        call.headers().forEach(b::header);
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        try {
            HttpResponse<byte[]> res = exchange(b.build(), call.timeout());
            return new Reply(res.statusCode(), res.headers(), res.body());
        } catch (AnswerTooLarge e) {
            throw new CliException(ExitCodes.UNAVAILABLE, "the server at " + base + " sent an answer larger than "
                    + MAX_ANSWER_BYTES / (1024 * 1024) + " MiB; it was not read to its end (not the server's? a proxy in the way?)");
        } catch (HttpConnectTimeoutException e) {
            throw unreachable("connection timed out");
        } catch (HttpTimeoutException e) {
            throw CliException.passing(ExitCodes.UNAVAILABLE, "the server at " + base + " did not answer within "
                    + call.timeout().toSeconds() + " s", List.of(), "no whole answer within " + call.timeout().toSeconds()
                    + " s");
        } catch (ConnectException e) {
            // The JDK's client reports a name that does not resolve as a failed connection too.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                    throw unreachable("the host name " + uri.getHost() + " does not resolve");
                }
            }
            throw unreachable("connection refused");
        } catch (SSLException e) {
            throw new CliException(ExitCodes.UNAVAILABLE, "TLS with " + base + " failed: " + tlsFailure(e, uri.getHost()));
        } catch (IOException e) {
            throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNAVAILABLE, "interrupted");
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "cannot send the request: " + e.getMessage());
        }
    }

    /**
     * Why a TLS handshake failed, in the operator's words: the JDK's message names its own classes
     * ({@code PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: …})
     * and not what to do. The server's certificate is checked by the CLI itself here, so these are
     * the cases an operator meets when the server's certificate was replaced (another CA, a new name,
     * let expire) or another server answers at the address.
     */
    static String tlsFailure(SSLException e, String host) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateExpiredException
                    || t instanceof java.security.cert.CertificateNotYetValidException) {
                return "the server's certificate is not valid now (" + t.getMessage() + ")";
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertPathBuilderException
                    || t instanceof java.security.cert.CertPathValidatorException) {
                return "the server's certificate is not signed by a CA trusted here (was it replaced? is another"
                        + " server answering?); name the CA that signs it with --ca-file PEM (PGFLEET_CA_FILE)";
            }
            if (t instanceof java.security.cert.CertificateException && t.getMessage() != null
                    && (t.getMessage().startsWith("No subject alternative") || t.getMessage().startsWith("No name matching"))) {
                return "the server's certificate is not for " + host + " (it names other hosts); use the name or address"
                        + " it is for in --server";
            }
        }
        return e.getMessage() + " (see --ca-file, --cert, --key)";
    }

    /**
     * Sends the request and reads its answer, body included, within {@code timeout} and
     * {@link #MAX_ANSWER_BYTES}. The HTTP client's own request timeout ends when the headers have
     * come, so a body sent a byte at a time was waited for without end.
     */
    private HttpResponse<byte[]> exchange(HttpRequest request, Duration timeout) throws IOException, InterruptedException {
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> pending = http.sendAsync(request, info -> bounded());
        try {
            return pending.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            pending.cancel(true); // aborts the exchange and closes its connection
            throw new HttpTimeoutException("no whole answer within " + timeout);
        } catch (InterruptedException e) {
            pending.cancel(true);
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof AnswerTooLarge tooLarge) {
                    throw tooLarge;
                }
            }
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IOException(cause == null ? e.getMessage() : String.valueOf(cause.getMessage()), cause);
        }
    }

    /** An answer over {@link #MAX_ANSWER_BYTES}. */
    private static final class AnswerTooLarge extends IOException {
        AnswerTooLarge() {
            super("answer over " + MAX_ANSWER_BYTES + " bytes", null);
        }
    }

    /** Collects a body of at most {@link #MAX_ANSWER_BYTES}, cancelling the exchange beyond it. */
    private static HttpResponse.BodySubscriber<byte[]> bounded() {
        return new HttpResponse.BodySubscriber<>() {
            private final java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
            private final java.util.concurrent.CompletableFuture<byte[]> result = new java.util.concurrent.CompletableFuture<>();
            private java.util.concurrent.Flow.Subscription subscription;

            @Override
            public java.util.concurrent.CompletionStage<byte[]> getBody() {
                return result;
            }

            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(java.util.List<java.nio.ByteBuffer> items) {
                if (result.isDone()) {
                    return;
                }
                for (java.nio.ByteBuffer item : items) {
                    if ((long) body.size() + item.remaining() > MAX_ANSWER_BYTES) {
                        subscription.cancel();
                        result.completeExceptionally(new AnswerTooLarge());
                        return;
                    }
                    byte[] bytes = new byte[item.remaining()];
                    item.get(bytes);
                    body.writeBytes(bytes);
                }
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                result.complete(body.toByteArray());
            }
        };
    }

    private CliException unreachable(String why) {
        return CliException.passing(ExitCodes.UNAVAILABLE, "cannot reach the server at " + base + " (" + why
                + "); is it running? (--server or PGFLEET_SERVER)", List.of(), why);
    }

    private Reply checked(Reply r, Set<Integer> handled) {
        if ((r.status() >= 200 && r.status() < 300) || r.status() == 304 || handled.contains(r.status())) {
            if (r.status() >= 200 && r.status() < 300) {
                intact(r);
            }
            return r;
        }
        throw failure(r);
    }

    /**
     * Refuses a document answer that is not what the server sent: one with a {@code Content-Encoding}
     * the CLI did not ask for, or whose body does not match the hash its ETag carries (the server's
     * tags are {@code "<version>-<first 16 hex digits of the document's SHA-256>"}). Cut short or
     * rewritten on the way, it would otherwise be printed — or saved as a backup — as the document.
     */
    private void intact(Reply r) {
        Optional<String> coding = r.header("Content-Encoding").map(String::strip)
                .filter(c -> !c.isEmpty() && !c.equalsIgnoreCase("identity"));
        if (coding.isPresent()) {
            throw new CliException(ExitCodes.UNAVAILABLE, "the answer came with Content-Encoding '"
                    + Output.printable(coding.get()) + "', which was not asked for: it is not the server's (a proxy in"
                    + " the way?)");
        }
        boolean document = r.header("Content-Type").map(t -> t.toLowerCase(java.util.Locale.ROOT)
                .startsWith("application/toml")).orElse(false);
        Optional<String> etag = r.header("ETag");
        if (!document || etag.isEmpty()) {
            return;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(?:W/)?\"\\d+-([0-9a-f]{16})\"$")
                .matcher(etag.get().strip());
        if (!m.matches()) {
            return;
        }
        try {
            String actual = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(r.body()), 0, 8);
            if (!actual.equals(m.group(1))) {
                throw new CliException(ExitCodes.UNAVAILABLE, "the document does not match its ETag "
                        + Output.printable(etag.get()) + " (" + r.body().length + " bytes): it was changed or cut short"
                        + " on the way, and is not shown");
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * A validation error's {@code key: message}, or only its message when it belongs to no key (a
     * syntax error).
     */
    static String keyAndMessage(JsonNode error) {
        String key = error.path("key").asString("");
        return (key.isEmpty() ? "" : key + ": ") + error.path("message").asString("");
    }

    /**
     * A change message as the {@code X-Change-Message} header carries it: printable ASCII as it is;
     * any other text as RFC 8187's {@code UTF-8''} followed by its UTF-8 bytes percent-encoded (a
     * header carries ASCII only; the server decodes this form).
     *
     * @param message the message
     * @return the header's value
     */
    static String changeMessageHeader(String message) {
        boolean plain = message.chars().allMatch(c -> c >= 0x20 && c < 0x7f)
                && !message.regionMatches(true, 0, "UTF-8''", 0, 7);
        if (plain) {
            return message;
        }
        StringBuilder b = new StringBuilder("UTF-8''");
        for (byte x : message.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~ ".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append('%').append(java.util.HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
        }
        return b.toString();
    }

    /** The command's failure for an answer it did not expect. */
    CliException failure(Reply r) {
        int s = r.status();
        if (s >= 300 && s < 400) {
            // The server never redirects its API: the URL is not the server's (http for https, a
            // portal, a path), and following it could send the token elsewhere.
            return new CliException(ExitCodes.UNAVAILABLE, "the answer is a redirect (" + s + ")"
                    + r.header("Location").map(l -> " to " + Output.printable(l)).orElse("") + ", not the server's;"
                    + " is " + base + " the server's URL? (--server or PGFLEET_SERVER)");
        }
        String detail = describe(r);
        List<String> lines = new ArrayList<>();
        if (r.isProblem()) {
            for (JsonNode e : r.json().path("errors")) {
                lines.add(ctx.documentName() + ":" + e.path("line").asInt() + ":" + e.path("column").asInt() + ": "
                        + keyAndMessage(e));
            }
            // invalid-effective-configuration: each collector's errors, in the layer they come from
            // (a publish, a rollout's start, a promote); missing-capabilities: what each collector
            // lacks, and who never said (not refused).
            for (JsonNode m : r.json().path("members")) {
                for (JsonNode e : m.path("errors")) {
                    lines.add("collector " + m.path("collector_id").asString() + ": " + e.path("layer").asString("")
                            + ":" + e.path("line").asInt() + ":" + e.path("column").asInt() + ": " + keyAndMessage(e));
                }
                for (JsonNode g : m.path("missing")) {
                    lines.add("collector " + m.path("collector_id").asString() + " lacks (" + g.path("capability").asString()
                            + ") " + g.path("key").asString("") + ": " + g.path("message").asString(""));
                }
            }
            if (r.json().path("unknown_total").asInt(0) > 0) {
                List<String> unknown = new ArrayList<>();
                r.json().path("unknown").forEach(u -> unknown.add(u.asString()));
                int total = r.json().path("unknown_total").asInt();
                lines.add(total + (total == 1 ? " collector never reported what it can run" : " collectors never"
                        + " reported what they can run") + " (not refused): "
                        + String.join(", ", unknown));
            }
        }
        int code = switch (s) {
            case 400, 413, 415, 422 -> ExitCodes.REFUSED;
            case 401, 403 -> ExitCodes.AUTH;
            // 410: decommissioned, gone for good (its id is not reused).
            case 404, 410 -> ExitCodes.NOT_FOUND;
            case 409, 412 -> ExitCodes.CONFLICT;
            case 429 -> ExitCodes.RATE_LIMITED;
            default -> s >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.REFUSED;
        };
        if (s == 502 || s == 503 || s == 504) {
            // The server away for now (restarting, its database lost), or a proxy saying it cannot
            // reach it: what waiting mends.
            return CliException.passing(code, detail, lines, detail);
        }
        return new CliException(code, detail, lines);
    }

    private static String describe(Reply r) {
        String prefix = switch (r.status()) {
            case 401 -> "not authenticated";
            case 403 -> "not allowed";
            case 404 -> "not found";
            case 410 -> "gone";
            case 409 -> "conflict";
            case 412 -> "conflict";
            case 422 -> "invalid";
            case 429 -> "rate-limited";
            case 502 -> "bad gateway";
            case 503 -> "server unavailable";
            case 504 -> "gateway timeout";
            default -> r.status() >= 500 ? "server error" : "refused";
        };
        if (r.isProblem()) {
            JsonNode p = r.json();
            String detail = p.path("detail").asString(p.path("title").asString(""));
            StringBuilder b = new StringBuilder(prefix).append(" (").append(r.status()).append("): ").append(detail);
            if (p.has("current_version")) {
                b.append(" [latest version ").append(p.path("current_version").asString())
                        .append(", etag ").append(p.path("current_etag").asString()).append("]");
            }
            return b.toString();
        }
        return prefix + " (" + r.status() + ")";
    }
}
