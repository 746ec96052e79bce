package io.pgfleet.server;

import io.helidon.security.jwt.Jwt;
import io.helidon.security.jwt.SignedJwt;
import io.helidon.security.jwt.jwk.JwkOctet;
import io.pgfleet.testing.TestDatabase;
import jakarta.json.Json;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/** Hand-made JWTs for testing what the server refuses: a test data builder for tokens. */
final class TestTokens {

    private String kid;
    private String secret;
    private String issuer = "pgfleet";
    private String audience = "pgfleet-api";
    private String subject = "admin";
    private String role = "admin";
    private Instant issuedAt = Instant.now();
    private Instant expiresAt = Instant.now().plusSeconds(600);

    private TestTokens(String kid, String secret) {
        this.kid = kid;
        this.secret = secret;
    }

    /** Tokens signed with the server's current key, read from its database. */
    static TestTokens withServerKey(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT kid, secret FROM signing_keys ORDER BY created_at DESC LIMIT 1")) {
            rs.next();
            return new TestTokens(rs.getString(1), rs.getString(2));
        }
    }

    /** Tokens signed with a given key (one inserted by the test, for instance). */
    static TestTokens withKey(String kid, String secret) {
        return new TestTokens(kid, secret);
    }

    /** Issued now, expiring after the given lifetime. */
    TestTokens lifetime(java.time.Duration lifetime) {
        issuedAt = Instant.now();
        expiresAt = issuedAt.plus(lifetime);
        return this;
    }

    TestTokens signedWithAnotherKeyUnderTheSameKid() {
        byte[] other = new byte[32];
        new SecureRandom().nextBytes(other);
        secret = Base64.getUrlEncoder().withoutPadding().encodeToString(other);
        return this;
    }

    TestTokens issuer(String value) {
        issuer = value;
        return this;
    }

    TestTokens audience(String value) {
        audience = value;
        return this;
    }

    TestTokens subject(String value, String roleName) {
        subject = value;
        role = roleName;
        return this;
    }

    TestTokens expiredAgo(long seconds) {
        issuedAt = Instant.now().minusSeconds(seconds + 900);
        expiresAt = Instant.now().minusSeconds(seconds);
        return this;
    }

    private Jwt jwt(String algorithm) {
        return Jwt.builder().algorithm(algorithm).keyId(kid).type("JWT").issuer(issuer).addAudience(audience)
                .subject(subject).addPayloadClaim("role", role).issueTime(issuedAt).notBefore(issuedAt)
                .expirationTime(expiresAt).jwtId(UUID.randomUUID().toString()).build();
    }

    String signed() {
        JwkOctet key = JwkOctet.create(Json.createObjectBuilder().add("kty", "oct").add("kid", kid).add("alg", "HS256")
                .add("k", secret).build());
        return SignedJwt.sign(jwt("HS256"), key).tokenContent();
    }

    /** The same claims with {@code alg: none} and no signature. */
    String unsigned() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}";
        String[] parts = signed().split("\\.");
        return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "." + parts[1] + ".";
    }
}
