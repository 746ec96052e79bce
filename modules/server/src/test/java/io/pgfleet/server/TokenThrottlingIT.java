package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Refreshes and logouts whose token is unknown, expired or spent are counted per client address;
 * past the ceiling that address's refreshes are answered {@code 429} with {@code Retry-After},
 * unlooked-at (its logouts still end their sessions), while other addresses go on and successful refreshes, however
 * many, are never counted. Loopback has many addresses (127.0.0.0/8): each is a real socket address.
 */
class TokenThrottlingIT {

    /** A ceiling of 5 (1,000 by default) keeps the test short. */
    private static final int CEILING = 5;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> {
        LimitSettings l = s.limits();
        return s.withLimits(new LimitSettings(l.maxConnections(), l.idleTimeout(), l.watchesPerCollector(),
                l.trustedProxies(), l.hashThreads(), l.hashQueue(), l.loginFreeFailures(), l.loginFailuresPerAddress(),
                CEILING, l.parseSlots(), l.parseQueue(), l.sampleRate()));
    });

    @Test
    void anAddressSendingBadTokensIsRefusedWhileAGoodClientElsewhereGoesOn() throws Exception {
        String good = refreshToken(login("127.0.0.21"));
        String heldByTheBadAddress = refreshToken(login("127.0.0.20"));
        for (int i = 0; i < CEILING; i++) {
            HttpResponse<String> r = i % 2 == 0 ? post("127.0.0.20", "refresh", "not-a-token-" + i)
                    : post("127.0.0.20", "logout", "not-a-token-" + i);
            assertEquals(i % 2 == 0 ? 401 : 204, r.statusCode(), r.body());
        }

        HttpResponse<String> refused = post("127.0.0.20", "refresh", "not-a-token-either");
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("too-many-attempts"), refused.body());
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "until the minute ends: " + retryAfter);
        assertEquals(429, post("127.0.0.20", "refresh", heldByTheBadAddress).statusCode(),
                "a good token from that address is not looked at either");

        // A logout is never refused: someone else's failures behind the same address must not keep a
        // user from ending their session (which would go on while they believe it over).
        String sharingTheAddress = refreshToken(login("127.0.0.20"));
        assertEquals(204, post("127.0.0.20", "logout", "not-a-token-either").statusCode());
        assertEquals(204, post("127.0.0.20", "logout", sharingTheAddress).statusCode());
        assertEquals(401, post("127.0.0.21", "refresh", sharingTheAddress).statusCode(), "the session has ended");

        HttpResponse<String> refreshed = post("127.0.0.21", "refresh", good);
        assertEquals(200, refreshed.statusCode(), "another address refreshes: " + refreshed.body());
        assertEquals(200, post("127.0.0.21", "refresh", heldByTheBadAddress).statusCode(),
                "the token refused unlooked-at was not spent");
        assertEquals(204, post("127.0.0.21", "logout", refreshToken(refreshed)).statusCode());
    }

    @Test
    void successfulRefreshesAreNeverCounted() throws Exception {
        // Many clients behind one address (agents behind a NAT) refresh as often as they like.
        String token = refreshToken(login("127.0.0.30"));
        for (int i = 0; i < 4 * CEILING; i++) {
            HttpResponse<String> r = post("127.0.0.30", "refresh", token);
            assertEquals(200, r.statusCode(), "refresh " + i + ": " + r.body());
            token = refreshToken(r);
        }
        assertEquals(204, post("127.0.0.30", "logout", token).statusCode());
    }

    private static HttpResponse<String> login(String from) throws IOException, InterruptedException {
        HttpResponse<String> r = send(from, "login",
                "{\"username\":\"admin\",\"password\":\"" + ServerSettings.TEST_ADMIN_PASSWORD + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    private static String refreshToken(HttpResponse<String> answer) {
        return ApiClient.field(answer.body(), "refresh_token");
    }

    private static HttpResponse<String> post(String from, String path, String refreshToken)
            throws IOException, InterruptedException {
        return send(from, path, "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    private static HttpResponse<String> send(String from, String path, String body)
            throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().localAddress(InetAddress.getByName(from))
                .connectTimeout(Duration.ofSeconds(5)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + SERVER.port() + "/api/v1/auth/" + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
