package io.pgfleet.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP plumbing of the benchmarks: the admin's login to a server started by {@link BenchServer}, and
 * a client of the JDK's (HTTP/1.1) logged in as the admin for the set-up and the publishes a
 * benchmark times. A benchmark adds what it measures in a subclass or around it.
 */
public class BenchHttp {

    /**
     * The scrape of the watch gauge alone: polled while watchers connect, a full scrape's garbage
     * (every histogram formatted) would be collected during the measured round after it.
     */
    static final String HELD_ONLY = "/observe/metrics?name%5B%5D=pgfleet_watches_held";
    private static final Pattern HELD = Pattern.compile("(?m)^pgfleet_watches_held(?:\\{[^}]*})? ([0-9.eE+]+)");

    /** The server's port on 127.0.0.1. */
    public final int port;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String token;

    /**
     * Logs in as the admin.
     *
     * @param port the server's port on 127.0.0.1
     * @throws Exception when the server cannot be reached
     */
    public BenchHttp(int port) throws Exception {
        this.port = port;
        this.token = login(http, port);
    }

    /**
     * The admin's access token, for a benchmark that keeps its own client.
     *
     * @param http the client to log in with
     * @param port the server's port on 127.0.0.1
     * @return the token
     * @throws Exception when the server cannot be reached
     */
    public static String login(HttpClient http, int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"username\":\"admin\",\"password\":\"" + BenchServer.ADMIN_PASSWORD + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return r.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
    }

    /**
     * The server's address.
     *
     * @return {@code http://127.0.0.1:port}
     */
    protected final String base() {
        return "http://127.0.0.1:" + port;
    }

    /**
     * What an agent sends with its watch, as raw header lines.
     *
     * @return the lines, each ending in CRLF
     */
    public final String headers() {
        return "Authorization: Bearer " + token + "\r\nAccept-Encoding: gzip\r\n";
    }

    /**
     * The admin's {@code Authorization} header line, for a benchmark's own connections.
     *
     * @return the line, ending in CRLF
     */
    public final String authorization() {
        return "Authorization: Bearer " + token + "\r\n";
    }

    /**
     * Sends a request as the admin.
     *
     * @param method the method
     * @param path   the path
     * @param type   the body's content type
     * @param body   the body
     * @return the answer
     * @throws Exception when the server answers 300 or more, or cannot be reached
     */
    public final HttpResponse<String> send(String method, String path, String type, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", type)
                .timeout(Duration.ofSeconds(120))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + " → " + r.statusCode() + " " + r.body());
        }
        return r;
    }

    /**
     * Publishes a collector's document as the admin through another client (one of a benchmark's
     * connections), whatever the answer.
     *
     * @param client the client
     * @param id     the collector
     * @param doc    the TOML document
     * @return the answer
     * @throws Exception when the server cannot be reached
     */
    public final HttpResponse<String> put(HttpClient client, String id, String doc) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base() + "/api/v1/config/" + id))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/toml")
                .timeout(Duration.ofSeconds(60))
                .PUT(HttpRequest.BodyPublishers.ofString(doc)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Publishes a collector's document.
     *
     * @param id  the collector
     * @param doc the TOML document
     * @return the version published
     * @throws Exception when the publish is refused
     */
    public final int publish(String id, String doc) throws Exception {
        return Integer.parseInt(send("PUT", "/api/v1/config/" + id, "application/toml", doc).headers()
                .firstValue("X-Config-Version").orElseThrow());
    }

    /**
     * The version of a collector's effective configuration.
     *
     * @param id the collector
     * @return its version
     * @throws Exception when it cannot be read
     */
    public final int effectiveRevision(String id) throws Exception {
        return Integer.parseInt(send("GET", "/api/v1/config/" + id, "application/toml", "").headers()
                .firstValue("X-Config-Version").orElseThrow());
    }

    /**
     * The watches the server holds now, from its metrics (including any whose client has gone and
     * whose hold has not ended).
     *
     * @return their number; 0 when the metric is not there yet
     * @throws Exception when the metrics cannot be read
     */
    public final double held() throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(base() + HELD_ONLY)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = HELD.matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
