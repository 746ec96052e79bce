package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.sql.SQLException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * However often an administrator rotates the signing key, at most ten keys are in use at once (the
 * signing one and those still verifying tokens they signed): beyond that a rotation is refused
 * with {@code 429} and when to try again, and nothing changes.
 */
class SigningKeyLimitIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    @Test
    void rotationsBeyondTheKeysInUseAreRefusedUntilTheOldestRetiresAndChangeNothing() throws SQLException {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        long before = keys();
        for (long k = before; k < 10; k++) {
            assertEquals(201, admin.postJson("/api/v1/auth/signing-keys", "").statusCode());
        }
        assertEquals(10, keys());
        long audited = SERVER.database().count("SELECT count(*) FROM audit_log WHERE action = 'auth.rotate_key'");

        HttpResponse<String> refused = admin.postJson("/api/v1/auth/signing-keys", "");
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("too-many-signing-keys") && refused.body().contains("10 signing keys are in use"),
                refused.body());
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter > 0 && retryAfter <= 20 * 60, "until the oldest retires (the token lifetime and a little): " + retryAfter);
        assertEquals(10, keys(), "no key added");
        assertEquals(audited, SERVER.database().count("SELECT count(*) FROM audit_log WHERE action = 'auth.rotate_key'"),
                "nothing audited");
        assertEquals(200, admin.get("/api/v1/users").statusCode(), "tokens keep working");
        assertEquals(200, ApiClient.asAdmin(SERVER.port()).get("/api/v1/users").statusCode(), "and new ones are signed");
    }

    private static long keys() throws SQLException {
        return SERVER.database().count("SELECT count(*) FROM signing_keys");
    }
}
