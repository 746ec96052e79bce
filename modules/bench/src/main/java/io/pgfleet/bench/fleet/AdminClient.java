package io.pgfleet.bench.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's side of the API, as the simulation needs it: login, publishes of the fleet and
 * group layers, groups, collectors with enrolment tokens, signing-key rotation, on the first
 * instance that is up. Logs in again when its access token is refused (a scenario may make them short-lived).
 */
final class AdminClient {

    private static final Pattern ACCESS = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern ENROLMENT = Pattern.compile("\"enrolment_token\"\\s*:\\s*\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final IntFunction<URI> servers;
    private final IntPredicate alive;
    private final int instances;
    private final String password;
    /** The access token of the last login; logged in again when refused (it may be short-lived). */
    private String token = "";

    AdminClient(IntFunction<URI> servers, IntPredicate alive, int instances, String password) {
        this.servers = servers;
        this.alive = alive;
        this.instances = instances;
        this.password = password;
    }

    /** Publishes the fleet layer; returns when the server acknowledged it. */
    void publishFleet(String toml) throws IOException, InterruptedException {
        call("PUT", "/api/v1/fleet/config", "application/toml", toml);
    }

    void createGroup(String id, String selectorJson) throws IOException, InterruptedException {
        call("POST", "/api/v1/groups", "application/json", "{\"id\":\"" + id + "\",\"selector\":" + selectorJson + "}");
    }

    void publishGroup(String id, String toml) throws IOException, InterruptedException {
        call("PUT", "/api/v1/groups/" + id + "/config", "application/toml", toml);
    }

    /** Provisions a collector and issues its one-time enrolment token. */
    String enrolmentToken(String collectorId) throws IOException, InterruptedException {
        call("POST", "/api/v1/collectors", "application/json", "{\"id\":\"" + collectorId + "\"}");
        String body = call("POST", "/api/v1/collectors/" + collectorId + "/enrolment-token", "application/json", "{}");
        Matcher m = ENROLMENT.matcher(body);
        if (!m.find()) {
            throw new IOException("no enrolment token in " + body);
        }
        return m.group(1);
    }

    void rotateSigningKey() throws IOException, InterruptedException {
        call("POST", "/api/v1/auth/signing-keys", "application/json", "{}");
    }

    /** An answer as it came, whatever its status. */
    record Answer(int status, String body) {
    }

    /** Publishes the fleet layer, with {@code ?force=true} or not; the answer as it came (a 422 included). */
    Answer tryPublishFleet(String toml, boolean force) throws IOException, InterruptedException {
        HttpResponse<String> r = exchange("PUT", "/api/v1/fleet/config" + (force ? "?force=true" : ""), "application/toml", toml);
        return new Answer(r.statusCode(), r.body());
    }

    /** Starts a staged rollout ({@code POST /api/v1/rollouts}); the answer is the rollout. */
    String startRollout(String json) throws IOException, InterruptedException {
        return call("POST", "/api/v1/rollouts", "application/json", json);
    }

    /** One rollout as the server shows it. */
    String rollout(long id) throws IOException, InterruptedException {
        return call("GET", "/api/v1/rollouts/" + id, "application/json", "");
    }

    /** The fleet view: every collector with its facts and capability gaps. */
    String fleetView() throws IOException, InterruptedException {
        return call("GET", "/api/v1/collectors?limit=5000", "application/json", "");
    }

    private String call(String method, String path, String type, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = exchange(method, path, type, body);
        if (r.statusCode() / 100 != 2) {
            throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    private synchronized HttpResponse<String> exchange(String method, String path, String type, String body)
            throws IOException, InterruptedException {
        HttpResponse<String> r = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            URI base = up();
            if (token.isEmpty() || attempt > 0) {
                token = login(base);
            }
            try {
                r = http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + token).header("Content-Type", type)
                        .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (attempt > 0) {
                    throw e;
                }
                continue;
            }
            if (r.statusCode() != 401) {
                break;
            }
        }
        if (r == null) {
            throw new IOException(method + " " + path + ": no answer");
        }
        return r;
    }

    private URI up() throws IOException {
        for (int i = 0; i < instances; i++) {
            if (alive.test(i)) {
                return servers.apply(i);
            }
        }
        throw new IOException("no server instance is up");
    }

    private String login(URI base) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v1/auth/login"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"" + password + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        Matcher m = ACCESS.matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) {
            throw new IOException("admin login answered " + r.statusCode() + ": " + r.body());
        }
        return m.group(1);
    }
}
