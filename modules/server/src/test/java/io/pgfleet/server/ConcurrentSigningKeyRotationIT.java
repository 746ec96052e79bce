package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rotations sent at once, to two instances on one database, still leave at most ten signing keys
 * in use: each one counts the keys after the one before it has stored its own, so the rest are
 * refused with {@code 429} and when to try again, and leave nothing behind.
 */
class ConcurrentSigningKeyRotationIT {

    private static final int ROTATIONS_PER_INSTANCE = 12;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    @Test
    void concurrentRotationsOnTwoInstancesNeverMakeMoreThanTenKeys() throws Exception {
        try (PgfleetServer other = TestServers.start(SERVER.database());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            long before = keys();
            long audited = audited();
            // One login (a password hash each is slow), its token on a connection of its own per rotation.
            String token = SERVER.admin().token();
            List<ApiClient> admins = new ArrayList<>();
            for (int i = 0; i < ROTATIONS_PER_INSTANCE; i++) {
                for (int port : new int[] {SERVER.port(), other.port()}) {
                    ApiClient admin = new ApiClient(port);
                    admin.useToken(token);
                    admins.add(admin);
                }
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> sent = new ArrayList<>();
            for (ApiClient admin : admins) {
                sent.add(threads.submit(() -> {
                    go.await();
                    return admin.postJson("/api/v1/auth/signing-keys", "");
                }));
            }
            go.countDown();

            int rotated = 0;
            for (Future<HttpResponse<String>> f : sent) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 201) {
                    rotated++;
                } else {
                    assertEquals(429, r.statusCode(), r.body());
                    assertTrue(r.body().contains("too-many-signing-keys"), r.body());
                    assertTrue(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()) > 0, "Retry-After");
                }
            }
            assertEquals(10, keys(), "ten keys in use, not more");
            assertEquals(10 - before, rotated, "as many rotations answered 201 as keys were added");
            assertEquals(audited + rotated, audited(), "only the stored keys audited");
            assertEquals(200, ApiClient.asAdmin(other.port()).get("/api/v1/users").statusCode(), "tokens are still signed");
        }
    }

    private static long keys() throws SQLException {
        return SERVER.database().count("SELECT count(*) FROM signing_keys");
    }

    private static long audited() throws SQLException {
        return SERVER.database().count("SELECT count(*) FROM audit_log WHERE action = 'auth.rotate_key'");
    }
}
