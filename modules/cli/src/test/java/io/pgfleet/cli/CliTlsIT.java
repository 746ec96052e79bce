package io.pgfleet.cli;

import io.pgfleet.server.PgfleetServer;
import io.pgfleet.server.ServerSettings;
import io.pgfleet.server.TlsSettings;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI against a server that requires client certificates (mTLS): with the CA and a client
 * certificate it logs in and works; without them the handshake fails as one line and exit 6.
 * Certificates are made at test time with the JDK's keytool.
 */
class CliTlsIT {

    private static final String PASSWORD = "changeit";

    @TempDir
    Path tmp;

    private void keytool(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        // A keytool run is a short JVM: without the optimising compiler and with the serial
        // collector it takes about half the CPU, and the certificates are the same.
        cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }

    private void signed(Path dir, String name, String dname, String ext) throws Exception {
        String ks = name + ".p12";
        keytool(dir, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
                "-validity", "2", "-keystore", ks, "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool(dir, "-certreq", "-alias", name, "-keystore", ks, "-storepass", PASSWORD, "-file", name + ".csr");
        keytool(dir, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", PASSWORD, "-infile", name + ".csr",
                "-outfile", name + ".crt", "-rfc", "-validity", "2", "-ext", ext);
        keytool(dir, "-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore", ks, "-storepass", PASSWORD, "-noprompt");
        keytool(dir, "-importcert", "-alias", name, "-file", name + ".crt", "-keystore", ks, "-storepass", PASSWORD,
                "-noprompt");
    }

    /** Writes name.key (PKCS#8 PEM) and name-chain.pem from name.p12. */
    private static void exportPem(Path dir, String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
            ks.load(in, PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey(name, PASSWORD.toCharArray());
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes());
        Files.writeString(dir.resolve(name + ".key"), "-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        StringBuilder chain = new StringBuilder();
        for (var cert : ks.getCertificateChain(name)) {
            chain.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(cert.getEncoded()))
                    .append("\n-----END CERTIFICATE-----\n");
        }
        Files.writeString(dir.resolve(name + "-chain.pem"), chain.toString());
    }

    @Test
    void mutualTlsWithTheCaAndAClientCertificate() throws Exception {
        Path certs = Files.createDirectories(tmp.resolve("certs"));
        keytool(certs, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=pgfleet test CA", "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12", "-storetype", "PKCS12",
                "-storepass", PASSWORD);
        keytool(certs, "-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-storepass", PASSWORD, "-file", "ca.pem");
        // For the name only, not the address: a CLI given the address meets a certificate for another host.
        signed(certs, "server", "CN=localhost", "san=dns:localhost");
        signed(certs, "client", "CN=operator", "eku=clientAuth");
        exportPem(certs, "client");

        TestDatabase db = TestPostgres.newDatabase();
        TlsSettings mtls = new TlsSettings(Optional.empty(), Optional.empty(), Optional.of(certs.resolve("server.p12")),
                PASSWORD, Optional.of(certs.resolve("ca.pem")));
        try (PgfleetServer server = PgfleetServer.start(ServerSettings.forDatabase(db.url(), db.user(), db.password(),
                tmp.resolve("data")).withTls(mtls).withWarmupRounds(0))) {
            String url = "https://localhost:" + server.port();
            CliProcess withCerts = new CliProcess(tmp.resolve("ok").resolve("pgfleet"), url)
                    .env("PGFLEET_CA_FILE", certs.resolve("ca.pem").toString());
            withCerts.runWithInput(ServerSettings.TEST_ADMIN_PASSWORD + "\n", "login", "-u", "admin", "--password-stdin",
                    "--cert", certs.resolve("client-chain.pem").toString(), "--key", certs.resolve("client.key").toString())
                    .expect(ExitCodes.OK);
            withCerts.env("PGFLEET_CLIENT_CERT", certs.resolve("client-chain.pem").toString())
                    .env("PGFLEET_CLIENT_KEY", certs.resolve("client.key").toString());
            withCerts.run("collectors", "-o", "json").expect(ExitCodes.OK);

            CliProcess noClientCert = new CliProcess(tmp.resolve("no-cert").resolve("pgfleet"), url);
            CliProcess.Run refused = noClientCert.runWithInput("x\n", "login", "-u", "admin", "--password-stdin",
                    "--ca-file", certs.resolve("ca.pem").toString()).expect(ExitCodes.UNAVAILABLE);
            assertTrue(refused.err().lines().count() == 1 && refused.err().startsWith("pgfleet: "), refused.err());

            CliProcess untrusted = new CliProcess(tmp.resolve("untrusted").resolve("pgfleet"), url);
            CliProcess.Run unknownCa = untrusted.runWithInput("x\n", "login", "-u", "admin", "--password-stdin")
                    .expect(ExitCodes.UNAVAILABLE);
            // What a CLI meets when the server's certificate was replaced by one of another CA: what
            // to do, not the JDK's class names (PKIX path building failed: sun.security.…Exception).
            assertEquals("pgfleet: TLS with " + url + " failed: the server's certificate is not signed by a CA trusted"
                    + " here (was it replaced? is another server answering?); name the CA that signs it with --ca-file PEM"
                    + " (PGFLEET_CA_FILE)", unknownCa.err().strip());

            String byAddress = "https://127.0.0.1:" + server.port();
            CliProcess.Run otherName = new CliProcess(tmp.resolve("by-address").resolve("pgfleet"), byAddress)
                    .env("PGFLEET_CA_FILE", certs.resolve("ca.pem").toString())
                    .runWithInput("x\n", "login", "-u", "admin", "--password-stdin").expect(ExitCodes.UNAVAILABLE);
            assertEquals("pgfleet: TLS with " + byAddress + " failed: the server's certificate is not for 127.0.0.1"
                    + " (it names other hosts); use the name or address it is for in --server", otherName.err().strip());
        }
    }
}
