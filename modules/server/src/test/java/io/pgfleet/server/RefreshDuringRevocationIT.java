package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Someone who holds a stolen session and refreshes it without pause — so that a refresh is under
 * way at almost any moment — loses it all the same when the password is changed or the collector's
 * identity is enrolled on another host: the successor a refresh stores while the revocation runs
 * is revoked with the rest, never left as a live session nobody else knows of.
 */
class RefreshDuringRevocationIT {

    /** The thieves refresh without pause: no limit of refreshes per session (30 a minute by default) stops them first. */
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withLimits(s.limits().withRefreshesPerSession(10_000)));

    /** Rounds of each race; before the fix a stolen session outlived about half of them. */
    private static final int ROUNDS = 8;

    /** One holder's pair. */
    private record Pair(String access, String refresh) {
        static Pair of(HttpResponse<String> answer) {
            return new Pair(ApiClient.field(answer.body(), "access_token"), ApiClient.field(answer.body(), "refresh_token"));
        }
    }

    /** Refreshes a session back to back until it is refused or told to stop; keeps the latest pair. */
    private static final class Refresher extends Thread {
        private final ApiClient client = new ApiClient(SERVER.port());
        private final AtomicReference<Pair> latest;
        private final AtomicBoolean stop;

        Refresher(Pair first, AtomicBoolean stop) {
            this.latest = new AtomicReference<>(first);
            this.stop = stop;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                HttpResponse<String> r = client.postJson("/api/v1/auth/refresh",
                        "{\"refresh_token\":\"" + latest.get().refresh() + "\"}");
                if (r.statusCode() != 200) {
                    return;
                }
                latest.set(Pair.of(r));
            }
        }

        Pair latest() {
            return latest.get();
        }
    }

    @Test
    void aSessionRefreshedWhileItsPasswordIsChangedEndsWithTheOthers() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        String password = "dave-password-0";
        assertEquals(201, admin.postJson("/api/v1/users", "{\"username\":\"dave\",\"password\":\"" + password
                + "\",\"role\":\"viewer\"}").statusCode());
        for (int round = 1; round <= ROUNDS; round++) {
            AtomicBoolean stop = new AtomicBoolean();
            List<Refresher> thief = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> login = new ApiClient(SERVER.port()).login("dave", password);
                assertEquals(200, login.statusCode(), login.body());
                thief.add(new Refresher(Pair.of(login), stop));
            }
            thief.forEach(Thread::start);
            Thread.sleep(200);

            password = "dave-password-" + round;
            HttpResponse<String> changed = admin.send(admin.request("/api/v1/users/dave")
                    .header("Content-Type", "application/json")
                    .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"password\":\"" + password + "\"}")));
            assertEquals(200, changed.statusCode(), changed.body());

            Thread.sleep(300);
            stop.set(true);
            for (Refresher r : thief) {
                r.join();
                assertNotEquals(200, refresh(r.latest().refresh()).statusCode(),
                        "round " + round + ": a session refreshed during the password change still refreshes");
                assertEquals(401, with(r.latest().access(), "/api/v1/collectors?limit=1"),
                        "round " + round + ": its access token still works after the password change");
            }
        }
    }

    @Test
    void aHostRefreshingWhileItsIdentityIsEnrolledElsewhereLosesIt() throws Exception {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        for (int round = 1; round <= ROUNDS; round++) {
            String id = "rebound-" + round;
            assertEquals(201, admin.postJson("/api/v1/collectors", "{\"id\":\"" + id + "\"}").statusCode());
            HttpResponse<String> old = new ApiClient(SERVER.port()).register("{\"hostname\":\"stolen\"}",
                    "X-Enrolment-Token", enrolmentToken(admin, id));
            assertEquals(201, old.statusCode(), old.body());
            AtomicBoolean stop = new AtomicBoolean();
            Refresher thief = new Refresher(Pair.of(old), stop);
            thief.start();
            Thread.sleep(200);

            HttpResponse<String> rebound = new ApiClient(SERVER.port()).register("{\"hostname\":\"reimaged\"}",
                    "X-Enrolment-Token", enrolmentToken(admin, id));
            assertEquals(201, rebound.statusCode(), rebound.body());

            Thread.sleep(300);
            stop.set(true);
            thief.join();
            assertNotEquals(200, refresh(thief.latest().refresh()).statusCode(),
                    "round " + round + ": the host the identity was taken from still refreshes");
            assertEquals(401, with(thief.latest().access(), "/api/v1/config/" + id),
                    "round " + round + ": its access token still works after the enrolment");
            assertNotEquals(401, with(Pair.of(rebound).access(), "/api/v1/config/" + id), "the enrolled host goes on");
        }
    }

    private static String enrolmentToken(ApiClient admin, String id) {
        HttpResponse<String> r = admin.postJson("/api/v1/collectors/" + id + "/enrolment-token", "");
        assertEquals(201, r.statusCode(), r.body());
        return r.body().replaceAll(".*\"enrolment_token\":\"([^\"]+)\".*", "$1");
    }

    private static HttpResponse<String> refresh(String refreshToken) {
        return new ApiClient(SERVER.port()).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refreshToken + "\"}");
    }

    private static int with(String accessToken, String path) {
        ApiClient c = new ApiClient(SERVER.port());
        c.useToken(accessToken);
        return c.get(path).statusCode();
    }
}
