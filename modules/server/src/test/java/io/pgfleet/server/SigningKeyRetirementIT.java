package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Keys superseded longer ago than the longest token lifetime are retired, and a token whose
 * lifetime exceeds the access token TTL is refused even with a good signature: a leaked key stops
 * minting tokens. Every token here is minted at test time.
 */
class SigningKeyRetirementIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    @Test
    void aKeySupersededLongerAgoThanTheTokenLifetimeNoLongerVerifiesAndIsDeletedOnRotation() throws SQLException {
        Instant now = Instant.now();
        String oldSecret = insertKey("leaked-old", now.minus(Duration.ofHours(3)));
        // Superseded two hours ago by 'recent'; 'recent' itself was superseded just now by the server's key.
        String recentSecret = insertKey("recent", now.minus(Duration.ofHours(2)));

        // The server learns of keys written behind its back when it meets an unknown key id, at most
        // every 200 ms: wait until it has read them, so that a refusal below is a retirement, not a
        // key it has not read yet.
        String recentToken = TestTokens.withKey("recent", recentSecret).lifetime(Duration.ofMinutes(5)).signed();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (readUsers(recentToken) != 200 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(200, readUsers(recentToken),
                "a key superseded within the token lifetime still verifies the tokens it signed");
        assertEquals(401, readUsers(TestTokens.withKey("leaked-old", oldSecret).lifetime(Duration.ofMinutes(5)).signed()),
                "a retired key mints nothing, even a fresh short-lived token");

        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.postJson("/api/v1/auth/signing-keys", "{}").statusCode());
        assertEquals(0, count("SELECT count(*) FROM signing_keys WHERE kid = 'leaked-old'"), "retired key deleted");
        assertEquals(1, count("SELECT count(*) FROM signing_keys WHERE kid = 'recent'"), "key still in use kept");
        assertEquals(200, admin.get("/api/v1/users").statusCode(), "tokens of the key just superseded keep working");
        assertEquals(401, readUsers(TestTokens.withKey("leaked-old", oldSecret).lifetime(Duration.ofMinutes(5)).signed()));
    }

    @Test
    void aTokenLivingLongerThanTheConfiguredTtlIsRefusedDespiteAGoodSignature() throws SQLException {
        // The test server's access token TTL is 15 minutes (30 s of clock skew allowed on top).
        assertEquals(401, readUsers(TestTokens.withServerKey(SERVER.database()).lifetime(Duration.ofHours(24)).signed()));
        assertEquals(401, readUsers(TestTokens.withServerKey(SERVER.database()).lifetime(Duration.ofMinutes(17)).signed()));
        assertEquals(200, readUsers(TestTokens.withServerKey(SERVER.database()).lifetime(Duration.ofMinutes(15)).signed()));
    }

    private static int readUsers(String token) {
        ApiClient client = new ApiClient(SERVER.port());
        client.useToken(token);
        HttpResponse<String> r = client.get("/api/v1/users");
        return r.statusCode();
    }

    private static String insertKey(String kid, Instant createdAt) throws SQLException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        try (Connection c = SERVER.database().connect();
             PreparedStatement s = c.prepareStatement("INSERT INTO signing_keys (kid, secret, created_at) VALUES (?, ?, ?)")) {
            s.setString(1, kid);
            s.setString(2, encoded);
            s.setTimestamp(3, Timestamp.from(createdAt));
            s.executeUpdate();
        }
        return encoded;
    }

    private static long count(String sql) throws SQLException {
        return SERVER.database().count(sql);
    }
}
