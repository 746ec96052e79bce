package io.pgfleet.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A plain HTTP client for the API on loopback, as an operator's tool would use it. */
final class ApiClient {

    private static final Pattern FIELD = Pattern.compile("\"(access_token|refresh_token|collector_id)\":\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private volatile String token = "";

    ApiClient(int port) {
        this("http://127.0.0.1:" + port);
    }

    /**
     * A client of the API under a base URL, e.g. a reverse proxy's path prefix.
     *
     * @param base the URL the API's paths are joined to, without a trailing slash
     */
    ApiClient(String base) {
        this.base = base;
    }

    /** The base URL this client joins the API's paths to. */
    String base() {
        return base;
    }

    /** A client logged in as the test administrator. */
    static ApiClient asAdmin(int port) {
        ApiClient c = new ApiClient(port);
        c.login("admin", ServerSettings.TEST_ADMIN_PASSWORD);
        return c;
    }

    /**
     * A collector registered with the test registration secret, as its agent does.
     *
     * @param port the server's port
     * @param body the registration body, e.g. {@code {"name":"db-01","labels":{"env":"prod"}}}
     * @return a client holding the collector's access token
     */
    static ApiClient registeredCollector(int port, String body) {
        ApiClient c = new ApiClient(port);
        HttpResponse<String> r = c.send(c.request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        if (r.statusCode() != 201) {
            throw new AssertionError("registration answered " + r.statusCode() + ": " + r.body());
        }
        c.useToken(field(r.body(), "access_token"));
        return c;
    }

    /** A collector registered with this name and labels (a JSON object), as its agent does. */
    static ApiClient registeredCollector(int port, String name, String labelsJson) {
        return registeredCollector(port, "{\"name\":\"" + name + "\",\"labels\":" + labelsJson + "}");
    }

    /** The subject of this client's access token: a collector's id. */
    String subject() {
        String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]));
        return payload.replaceAll(".*\"sub\":\"([^\"]+)\".*", "$1");
    }

    HttpResponse<String> login(String user, String password) {
        HttpResponse<String> r = postJson("/api/v1/auth/login",
                "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}");
        if (r.statusCode() == 200) {
            token = field(r.body(), "access_token");
        }
        return r;
    }

    void useToken(String accessToken) {
        token = accessToken;
    }

    String token() {
        return token;
    }

    static String field(String json, String name) {
        Matcher m = FIELD.matcher(json);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return m.group(2);
            }
        }
        throw new IllegalStateException("no " + name + " in " + json);
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (!token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder r = request(path).GET();
        if (headers.length > 0) {
            r.headers(headers);
        }
        return send(r);
    }

    HttpResponse<String> putToml(String path, String toml, String... headers) {
        HttpRequest.Builder r = request(path).header("Content-Type", "application/toml")
                .PUT(HttpRequest.BodyPublishers.ofString(toml));
        if (headers.length > 0) {
            r.headers(headers);
        }
        return send(r);
    }

    HttpResponse<String> postJson(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /**
     * A registration as an agent sends it (with a minute's patience: registrations may queue).
     *
     * @param body    the registration body
     * @param headers header names and values, alternating (the credential, an Idempotency-Key …)
     * @return the answer
     */
    HttpResponse<String> register(String body, String... headers) {
        HttpRequest.Builder b = request("/api/v1/collectors/register").header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b);
    }

    /**
     * Creates a collector and issues an enrolment token for it, as an administrator does before its
     * agent exists.
     *
     * @param id the new collector's id
     * @return the token
     */
    String enrolmentTokenForNew(String id) {
        HttpResponse<String> created = createCollector(id);
        if (created.statusCode() != 201) {
            throw new AssertionError("creating " + id + " answered " + created.statusCode() + ": " + created.body());
        }
        HttpResponse<String> issued = postJson("/api/v1/collectors/" + id + "/enrolment-token", "");
        if (issued.statusCode() != 201) {
            throw new AssertionError("issuing a token answered " + issued.statusCode() + ": " + issued.body());
        }
        return issued.body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");
    }

    HttpResponse<String> createCollector(String id) {
        return postJson("/api/v1/collectors", "{\"id\":\"" + id + "\",\"name\":\"" + id + "\"}");
    }
}
