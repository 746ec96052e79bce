package io.pgfleet.agent.transport;

import io.helidon.common.configurable.Resource;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsConfig;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.api.WebClientConfig;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.Sample;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The agent's side of the HTTP API. A 401 triggers exactly one token refresh and one retry; a
 * second 401 is reported to the caller, which backs off — never a recursion.
 */
public final class ServerClient {

    /** How the agent proves who it is the first time. */
    public sealed interface Enrolment {
        /**
         * The fleet's registration secret.
         *
         * @param secret the secret
         */
        record Secret(String secret) implements Enrolment {
        }

        /**
         * A one-time enrolment token.
         *
         * @param token the token
         */
        record Token(String token) implements Enrolment {
        }
    }

    /** The result of asking for the configuration. */
    public sealed interface Fetch {
        /**
         * A configuration.
         *
         * @param version  its version
         * @param etag     its entity tag
         * @param document its TOML
         */
        record Fetched(int version, String etag, String document) implements Fetch {
        }

        /** Nothing newer than what the agent has. */
        record NotModified() implements Fetch {
        }

        /** The collector has no configuration yet. */
        record NoConfiguration() implements Fetch {
        }
    }

    /** Receives new tokens, so that a rotated refresh token is never lost. */
    public interface TokenSink {
        /**
         * Called with the agent's identity after registration and after every refresh.
         *
         * @param collectorId  the collector id
         * @param refreshToken the newest refresh token
         */
        void save(String collectorId, String refreshToken);
    }

    /** This agent's version, from its jar's manifest (Implementation-Version); empty when run from classes. */
    private static final String AGENT_VERSION =
            Optional.ofNullable(ServerClient.class.getPackage().getImplementationVersion()).orElse("");

    private final WebClient http;
    private final TokenSink sink;
    private volatile String collectorId;
    private volatile String refreshToken;
    private volatile String accessToken = "";

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
     * The collector id, empty before registration.
     *
     * @return the id
     */
    public String collectorId() {
        return collectorId;
    }

    /**
     * Registers this agent.
     *
     * @param enrolment the secret or token
     * @param name      display name
     * @param hostname  host name
     * @param labels    labels
     * @throws TransportException when the server refuses or cannot be reached
     */
    public void register(Enrolment enrolment, String name, String hostname, Map<String, String> labels)
            throws TransportException {
        JsonObjectBuilder l = Json.createObjectBuilder();
        labels.forEach(l::add);
        String body = Json.createObjectBuilder().add("name", name).add("hostname", hostname).add("labels", l).build().toString();
        JsonObject answer = call(() -> {
            HttpClientRequest r = http.post("/api/v1/collectors/register").header(HeaderNames.CONTENT_TYPE, "application/json");
            switch (enrolment) {
                case Enrolment.Secret s -> r.header(HeaderNames.create("X-Registration-Secret"), s.secret());
                case Enrolment.Token t -> r.header(HeaderNames.create("X-Enrolment-Token"), t.token());
            }
            return r.submit(body);
        }, 201, "registration");
        tokens(answer);
    }

    private void tokens(JsonObject answer) {
        accessToken = answer.getString("access_token");
        refreshToken = answer.getString("refresh_token");
        collectorId = answer.containsKey("collector_id") ? answer.getString("collector_id") : answer.getString("subject");
        sink.save(collectorId, refreshToken);
    }

    /**
     * Fetches the configuration: a plain pull, or a watch that the server holds until a version
     * newer than {@code after} exists or {@code wait} ends.
     *
     * @param etag  the entity tag the agent has, empty for none
     * @param watch seconds to wait and the version the agent has, or empty for a plain pull
     * @return the configuration, not modified, or none yet
     * @throws TransportException on failure
     */
    public Fetch fetchConfig(String etag, Optional<int[]> watch) throws TransportException {
        String path = "/api/v1/config/" + collectorId;
        Duration timeout = watch.map(w -> Duration.ofSeconds(w[0] + 30L)).orElse(Duration.ofSeconds(30));
        return authorized(() -> {
            HttpClientRequest r = bearer(http.get(path)).readTimeout(timeout);
            watch.ifPresent(w -> r.queryParam("wait", Integer.toString(w[0])).queryParam("after", Integer.toString(w[1])));
            if (!etag.isEmpty()) {
                r.header(HeaderNames.IF_NONE_MATCH, etag);
            }
            return r.request();
        }, response -> {
            int status = response.status().code();
            if (status == 304) {
                return new Fetch.NotModified();
            }
            if (status == 404) {
                return new Fetch.NoConfiguration();
            }
            if (status != 200) {
                throw new IllegalStateException("configuration pull answered " + status + ": " + response.as(String.class));
            }
            int version = Integer.parseInt(response.headers().first(HeaderNames.create("X-Config-Version")).orElse("0"));
            return new Fetch.Fetched(version, response.headers().first(HeaderNames.ETAG).orElse(""),
                    response.as(String.class));
        });
    }

    /**
     * Reports an apply attempt.
     *
     * @param version         the version tried
     * @param status          applied or failed
     * @param error           why it failed
     * @param effectiveSha256 SHA-256 of the configuration now running
     * @throws TransportException on failure
     */
    public void reportStatus(int version, ApplyStatus status, String error, String effectiveSha256)
            throws TransportException {
        String body = Json.createObjectBuilder().add("version", version).add("status", status.name())
                .add("error", error).add("effective_sha256", effectiveSha256).add("agent_version", AGENT_VERSION)
                .build().toString();
        authorized(() -> bearer(http.post("/api/v1/collectors/" + collectorId + "/status"))
                .header(HeaderNames.CONTENT_TYPE, "application/json").submit(body), response -> {
            if (response.status().code() != 204) {
                throw new IllegalStateException("status report answered " + response.status().code());
            }
            return null;
        });
    }

    /**
     * Pushes a batch; pushing the same batch id again stores nothing twice.
     *
     * @param batchId the batch id
     * @param samples the samples
     * @throws TransportException on failure
     */
    public void push(String batchId, List<Sample> samples) throws TransportException {
        JsonArrayBuilder a = Json.createArrayBuilder();
        for (Sample s : samples) {
            JsonObjectBuilder labels = Json.createObjectBuilder();
            s.labels().forEach(labels::add);
            a.add(Json.createObjectBuilder().add("name", s.name()).add("labels", labels).add("value", s.value())
                    .add("ts", s.ts().toString()));
        }
        String body = Json.createObjectBuilder().add("batch_id", batchId).add("samples", a).build().toString();
        authorized(() -> bearer(http.post("/api/v1/metrics/push")).header(HeaderNames.CONTENT_TYPE, "application/json")
                .submit(body), response -> {
            if (response.status().code() != 202) {
                throw new IllegalStateException("push answered " + response.status().code() + ": " + response.as(String.class));
            }
            return null;
        });
    }

    private <T> T authorized(java.util.function.Supplier<HttpClientResponse> request,
                             Function<HttpClientResponse, T> handler) throws TransportException {
        for (int attempt = 0; attempt < 2; attempt++) {
            try (HttpClientResponse response = send(request, true)) {
                if (response.status().code() != 401) {
                    try {
                        return handler.apply(response);
                    } catch (RuntimeException e) {
                        throw new TransportException(e.getMessage(), e, false);
                    }
                }
            }
            if (attempt == 0) {
                refresh();
            }
        }
        throw new TransportException("the server refuses this agent's tokens (401 after a refresh)", null, true);
    }

    private HttpClientResponse send(java.util.function.Supplier<HttpClientResponse> request, boolean bearer)
            throws TransportException {
        try {
            return request.get();
        } catch (RuntimeException e) {
            throw new TransportException("cannot reach the server: " + e.getMessage(), e, false);
        }
    }

    /** Adds the current access token; called inside each request supplier, so a retry carries the refreshed one. */
    private HttpClientRequest bearer(HttpClientRequest r) {
        return r.header(HeaderNames.AUTHORIZATION, "Bearer " + accessToken);
    }

    private void refresh() throws TransportException {
        String body = Json.createObjectBuilder().add("refresh_token", refreshToken).build().toString();
        JsonObject answer = call(() -> http.post("/api/v1/auth/refresh").header(HeaderNames.CONTENT_TYPE, "application/json")
                .submit(body), 200, "token refresh");
        tokens(answer);
    }

    private JsonObject call(java.util.function.Supplier<HttpClientResponse> request, int expected, String what)
            throws TransportException {
        try (HttpClientResponse r = send(request, false)) {
            String text = r.as(String.class);
            if (r.status().code() == 401) {
                throw new TransportException(what + " refused: " + text, null, true);
            }
            if (r.status().code() != expected) {
                throw new TransportException(what + " answered " + r.status().code() + ": " + text, null, false);
            }
            try (JsonReader reader = Json.createReader(new StringReader(text))) {
                return reader.readObject();
            }
        }
    }
}
