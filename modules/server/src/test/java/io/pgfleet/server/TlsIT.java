package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** TLS (PKCS#12 and PEM) and client-certificate verification, with certificates made at test time. */
class TlsIT {

    @TempDir
    static Path certDir;
    private static TestCertificates certs;
    private static TestDatabase database;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certDir);
        database = TestPostgres.newDatabase();
    }

    private static ServerSettings settings(TlsSettings tls) {
        return TestServers.settings(database)
                .withTls(tls);
    }

    private static HttpResponse<String> login(int port, SSLContext ctx) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\""
                        + ServerSettings.TEST_ADMIN_PASSWORD + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void mutualTlsRefusesClientsWithoutATrustedCertificateAndServesThoseWithOne() throws Exception {
        TlsSettings mtls = new TlsSettings(Optional.empty(), Optional.empty(), Optional.of(certs.path("server.p12")),
                TestCertificates.PASSWORD, Optional.of(certs.path("ca.pem")));
        try (PgfleetServer server = PgfleetServer.start(settings(mtls))) {
            assertThrows(IOException.class, () -> login(server.port(), certs.client("")),
                    "no client certificate: the handshake fails");
            assertThrows(IOException.class, () -> login(server.port(), certs.client("stranger.p12")),
                    "a certificate the CA did not sign: the handshake fails");
            assertEquals(200, login(server.port(), certs.client("client.p12")).statusCode());
        }
    }

    @Test
    void theAgentPresentsItsClientCertificate() throws Exception {
        TlsSettings mtls = new TlsSettings(Optional.empty(), Optional.empty(), Optional.of(certs.path("server.p12")),
                TestCertificates.PASSWORD, Optional.of(certs.path("ca.pem")));
        try (PgfleetServer server = PgfleetServer.start(settings(mtls))) {
            Path agentDir = certDir.resolve("agent");
            java.nio.file.Files.createDirectories(agentDir);
            java.nio.file.Files.writeString(agentDir.resolve("agent.toml"), """
                    server_url = "https://localhost:%d"
                    registration_secret_file = "registration-secret"
                    state_dir = "state"
                    [tls]
                    ca_file = "%s"
                    cert_file = "%s"
                    key_file = "%s"
                    """.formatted(server.port(), certs.path("ca.pem"), certs.path("client-chain.pem"),
                    certs.path("client.key")));
            try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
                agent.await("registered as collector ", java.time.Duration.ofSeconds(30));
                agent.await("collecting with the defaults", java.time.Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void anAgentThatDoesNotTrustTheServersCertificateSaysSoAndWhatToSetNotJustThatTheHandshakeFailed() throws Exception {
        // Before, the log said "cannot reach the server: Failed to execute SSL handshake": not whether
        // the certificate was untrusted, named another host, or expired, nor which key fixes it.
        TlsSettings pem = new TlsSettings(Optional.of(certs.path("server-chain.pem")), Optional.of(certs.path("server.key")),
                Optional.empty(), "", Optional.empty());
        try (PgfleetServer server = PgfleetServer.start(settings(pem))) {
            Path agentDir = certDir.resolve("untrusting-agent");
            java.nio.file.Files.createDirectories(agentDir);
            java.nio.file.Files.writeString(agentDir.resolve("agent.toml"), """
                    server_url = "https://localhost:%d"
                    registration_secret_file = "registration-secret"
                    state_dir = "state"
                    """.formatted(server.port()));
            try (AgentProcess agent = AgentProcess.start(agentDir, server.port())) {
                agent.await("server unreachable \\(cannot reach the server: the TLS handshake with the server failed:"
                        + " its certificate is not signed by a CA this agent trusts \\(unable to find valid certification path to requested target\\); set \\[tls\\] ca_file"
                        + " in the agent's local file to the CA that signed the server's certificate",
                        java.time.Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void tlsFromPemFilesServesHttps() throws Exception {
        TlsSettings pem = new TlsSettings(Optional.of(certs.path("server-chain.pem")), Optional.of(certs.path("server.key")),
                Optional.empty(), "", Optional.empty());
        try (PgfleetServer server = PgfleetServer.start(settings(pem))) {
            assertEquals(200, login(server.port(), certs.client("")).statusCode());
            HttpClient plain = HttpClient.newHttpClient();
            assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + server.port() + "/api/v1/auth/login")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()), "plain HTTP is not spoken on a TLS port");
        }
    }
}
